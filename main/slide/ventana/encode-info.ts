// The level-0 `<EncodeInfo>` XMP of a Ventana BIF (OpenSlide 3.4.1's parse_level0_xml): the scanned areas
// (SlideStitchInfo/ImageInfo with their AoiOrigin: raw tile grid, Pos-X/Pos-Y) and the tile advance, the
// tile size less the confidence-weighted mean overlap of the TileJointInfo joints.
import { parseDouble } from '../formats/philips.js';
import { attr, childElements, intAttr, type XmlElement } from '../formats/vendor-xml.js';
import { SlideError } from '../slide-errors.js';

/** Raw tiles one slide may declare (a real BIF has tens of thousands). */
const MAX_TILES = 1 << 24;

/** A scanned area: its raw tiles (startCol, startRow)… in the level-0 TIFF tile grid, placed at (x, y). */
export interface Area {
  x: number;
  y: number;
  startCol: number;
  startRow: number;
  tilesAcross: number;
  tilesDown: number;
}

/** The areas, and the advance from one raw tile to the next (level-0 pixels). */
export interface BifLayout {
  areas: Area[];
  advanceX: number;
  advanceY: number;
}

/** The level-0 `<EncodeInfo>`: scanned areas and the tile advance from the joint overlaps (OpenSlide's parse_level0_xml). */
export function parseEncodeInfo(root: XmlElement, tileWidth: number, tileHeight: number, fail: (msg: string) => never): BifLayout {
  // XPath without a prefix matches no element in a default namespace.
  const unprefixed = root.name === 'EncodeInfo' && attr(root, 'xmlns') === undefined;
  const infos = unprefixed ? childElements(root, 'SlideStitchInfo').flatMap((s) => childElements(s, 'ImageInfo')) : [];
  const origins = unprefixed ? childElements(root, 'AoiOrigin').flatMap((o) => childElements(o)) : [];
  if (!infos.length || !origins.length || infos.length !== origins.length)
    fail('missing or inconsistent region metadata');
  const int = (el: XmlElement, name: string): number => intAttr(el, name, fail);
  const double = (el: XmlElement, name: string): number => {
    const v = attr(el, name);
    if (v === undefined) return fail(`no floating-point attribute "${name}"`);
    const n = parseDouble(v);
    return Number.isFinite(n) ? n : fail(`invalid floating-point attribute "${name}"`);
  };
  const areas: Area[] = [];
  let totalTiles = 0;
  let offsetX = 0;
  let offsetY = 0;
  let weightX = 0;
  let weightY = 0;
  infos.forEach((info, i) => {
    if (int(info, 'AOIScanned') === 0) return;
    const aoi = origins[i];
    const originX = int(aoi, 'OriginX');
    const originY = int(aoi, 'OriginY');
    const width = int(info, 'Width');
    const height = int(info, 'Height');
    if (width !== tileWidth || height !== tileHeight)
      fail(`tile size mismatch: expected ${tileWidth}x${tileHeight}, found ${width}x${height}`);
    if (originX % width || originY % height)
      fail(`area origin not divisible by the tile size: ${originX} % ${width}, ${originY} % ${height}`);
    const area: Area = {
      startCol: originX / width,
      startRow: originY / height,
      tilesAcross: int(info, 'NumCols'),
      tilesDown: int(info, 'NumRows'),
      // Whole numbers, sometimes written as floating point; OpenSlide truncates them to integers.
      x: Math.trunc(double(info, 'Pos-X')),
      y: Math.trunc(double(info, 'Pos-Y')),
    };
    if (area.startCol < 0 || area.startRow < 0) fail('negative area origin');
    if (area.tilesAcross < 1 || area.tilesDown < 1) fail(`an area of ${area.tilesAcross}×${area.tilesDown} tiles`);
    totalTiles += area.tilesAcross * area.tilesDown;
    if (totalTiles > MAX_TILES)
      throw new SlideError('too-large', `Ventana: the areas hold more than ${MAX_TILES} tiles`);
    areas.push(area);
    const tileCount = area.tilesAcross * area.tilesDown;
    // Tiles are numbered from 1, serpentine from the bottom row: rows 2nd, 4th, … from the bottom run right to left.
    const coordinates = (joint: XmlElement, name: string): [number, number] => {
      const tile = int(joint, name);
      if (tile < 1 || tile > tileCount) fail(`tile number out of bounds: ${tile}`);
      const row = Math.floor((tile - 1) / area.tilesAcross);
      let col = (tile - 1) % area.tilesAcross;
      if (row % 2) col = area.tilesAcross - col - 1;
      return [col, area.tilesDown - row - 1];
    };
    const joints = childElements(info, 'TileJointInfo');
    if (!joints.length) fail("couldn't find tile joint info");
    for (const joint of joints) {
      const [c1, r1] = coordinates(joint, 'Tile1');
      const [c2, r2] = coordinates(joint, 'Tile2');
      const direction = attr(joint, 'Direction');
      let vertical: boolean;
      if (direction === 'RIGHT') vertical = false;
      else if (direction === 'UP') vertical = true;
      else return fail(`bad direction attribute "${direction ?? ''}"`);
      const ok = vertical ? c2 === c1 && r2 === r1 - 1 : c2 === c1 + 1 && r2 === r1;
      if (!ok) fail(`unexpected tile join: ${direction}, (${c1}, ${r1}), (${c2}, ${r2})`);
      const ox = -double(joint, 'OverlapX');
      const oy = -double(joint, 'OverlapY');
      const confidence = int(joint, 'Confidence');
      if (vertical) {
        offsetY += confidence * oy;
        weightY += confidence;
      } else {
        offsetX += confidence * ox;
        weightX += confidence;
      }
    }
  });
  if (!areas.length) fail('no scanned areas');
  const advanceX = tileWidth + offsetX / weightX;
  const advanceY = tileHeight + offsetY / weightY;
  if (!Number.isFinite(advanceX) || !Number.isFinite(advanceY) || advanceX <= 0 || advanceY <= 0) {
    fail(`the tile joints give a tile advance of ${advanceX} × ${advanceY}`);
  }
  // Pos-Y is the distance from an area's bottom to a line below all areas: make it a distance from the top.
  const heights = areas.map((a) => Math.trunc((a.tilesDown - 1) * advanceY + tileHeight));
  const top = Math.max(0, ...areas.map((a, i) => a.y + heights[i]));
  areas.forEach((a, i) => (a.y = top - a.y - heights[i]));
  return { areas, advanceX, advanceY };
}
