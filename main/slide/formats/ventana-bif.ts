// Ventana BIF (OpenSlide 3.4.1's openslide-vendor-ventana.c): a TIFF whose first directory carries an XMP
// packet (tag 700) with an `<iScan>` element (the root, or a child of a `<Metadata>` root); its attributes
// become `ventana.*` properties (Magnification -> objective power, ScanRes -> MPP). Directories described
// `level=N mag=M …` are the levels, in order with falling magnification (downsample = mag0 / mag);
// "Label Image"/"Label_Image" is the macro, "Thumbnail" the thumbnail. When level 0 has an XMP packet
// too (`<EncodeInfo>`: SlideStitchInfo/ImageInfo areas, AoiOrigin, TileJointInfo overlaps), its tiles are
// the scanner's raw camera tiles: they overlap, and OpenSlide places each at a fixed advance (the tile
// size less the confidence-weighted mean joint overlap), areas at their Pos-X/Pos-Y. Lower levels hold the
// same raw tiles shrunk, so a level-N tile splits into downsample × downsample subtiles laid out the same
// way. Without EncodeInfo (a "Ventana TIFF") the levels are plain tiled directories.
import { ByteLruCache } from '../../common/byte-lru-cache.js';
import type { RgbaImage } from '../codecs/rgba.js';
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import type { OpenSlideOptions, SlideFormat, SlideReader } from '../slide-reader.js';
import { TiledSlide, type AssociatedImageSource } from '../tiled-slide.js';
import type { TileGridLevel } from '../tile-grid.js';
import { TiffFile, TiffTags, type TiffDirectory } from '../tiff/tiff-file.js';
import { readTiffImage, type TiffImage } from '../tiff/tiff-image.js';
import { tiffAssociatedImage, tiffLevel } from '../tiff/tiff-level.js';
import { tiffProperties } from '../tiff/tiff-properties.js';
import { tiffQuickHash } from '../tiff/tiff-quickhash.js';
import { Tag } from '../tiff/tiff-tags.js';
import { formatDouble, parseDouble } from './philips.js';
import { attr, childElements, parseXml, type XmlElement } from './vendor-xml.js';

/** TIFFTAG_XMLPACKET (XMP). */
const XMP_TAG = 700;
/** Raw tiles one slide may declare (a real BIF has tens of thousands). */
const MAX_TILES = 1 << 24;
/** Decoded raw tiles kept per level while composing (each serves several output tiles). */
const RAW_TILE_CACHE_BYTES = 16 * 1024 * 1024;

interface Area {
  x: number;
  y: number;
  startCol: number;
  startRow: number;
  tilesAcross: number;
  tilesDown: number;
}

interface Bif {
  areas: Area[];
  advanceX: number;
  advanceY: number;
}

interface LevelDir {
  image: TiffImage;
  downsample: number;
  grid: TileGridLevel;
}

export const ventanaBif: SlideFormat = {
  name: 'ventana',

  async detect(source: FileSource): Promise<boolean> {
    if (!(await TiffFile.isTiff(source))) return false;
    try {
      const file = await TiffFile.open(source);
      const xml = xmpPacket(file.directories[0]);
      if (typeof xml !== 'string' || !xml.includes('iScan')) return false;
      return iscanElement(parseXml(xml, source.path)) !== null;
    } catch {
      return false;
    }
  },

  async open(source: FileSource, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const path = source.path;
    const file = await TiffFile.open(source);
    const fail = (msg: string): never => {
      throw new SlideError('corrupt', `${path}: Ventana: ${msg}`);
    };
    const initial = xmpPacket(file.directories[0]);
    if (typeof initial !== 'string')
      return fail(initial === null ? 'no XMP packet in the first directory' : 'the first XMP packet is not text');
    const iscan = iscanElement(parseXml(initial, path));
    if (!iscan) return fail("couldn't find the iScan element in the initial XML");
    const properties: Record<string, string> = {};
    for (const [name, value] of Object.entries(iscan.attrs)) {
      // libxml2's xmlGetNoNsProp: namespaced attributes are not read.
      if (!name.includes(':') && name !== 'xmlns' && value) properties[`ventana.${name}`] = value;
    }
    const magnification = properties['ventana.Magnification'];
    if (magnification && /^\s*[+-]?\d+$/.test(magnification))
      properties['openslide.objective-power'] = String(BigInt(magnification.trim()));
    const scanRes = properties['ventana.ScanRes'];
    const mppValue = scanRes === undefined ? NaN : parseDouble(scanRes);
    if (!Number.isNaN(mppValue)) {
      properties['openslide.mpp-x'] = formatDouble(mppValue);
      properties['openslide.mpp-y'] = formatDouble(mppValue);
    }

    const levels: LevelDir[] = [];
    const associated: AssociatedImageSource[] = [];
    const addAssociated = (entry: AssociatedImageSource): void => {
      // OpenSlide's hash table: a later directory of the same name replaces the earlier one.
      const at = associated.findIndex((a) => a.name === entry.name);
      if (at >= 0) associated[at] = entry;
      else associated.push(entry);
    };
    let bif: Bif | null = null;
    let nextLevel = 0;
    let prevMagnification = Infinity;
    let level0Magnification = 0;
    for (const [index, dir] of file.directories.entries()) {
      const description = new TiffTags(dir, file.littleEndian, path).string(Tag.ImageDescription);
      if (description === undefined) continue;
      if (description.includes('level=')) {
        const info = parseLevelInfo(description);
        if (!info) return fail(`directory ${index}: can't parse the level description "${description.slice(0, 80)}"`);
        if (info.level !== nextLevel++) return fail(`unexpected encounter with level ${info.level}`);
        if (info.magnification >= prevMagnification) return fail(`unexpected magnification in level ${info.level}`);
        prevMagnification = info.magnification;
        if (info.level === 0) level0Magnification = info.magnification;
        const downsample = level0Magnification / info.magnification;
        if (!Number.isFinite(downsample) || downsample < 1)
          return fail(`level ${info.level} has downsample ${downsample}`);
        const image = readTiffImage(file, dir);
        if (info.level === 0) {
          const xml = xmpPacket(dir);
          if (typeof xml === 'string')
            bif = parseEncodeInfo(parseXml(xml, path), image.tileWidth, image.tileHeight, fail);
          else if (xml !== null) return fail('the level-0 XMP packet is not text');
        }
        if (!image.tiled) return fail(`directory ${index} is not tiled`);
        const level0 = levels[0]?.image ?? image;
        if (image.tileWidth !== level0.tileWidth || image.tileHeight !== level0.tileHeight)
          return fail('inconsistent TIFF tile sizes');
        const plain = tiffLevel(file, image, downsample);
        levels.push({ image, downsample, grid: bif ? bifLevel(plain, image, bif, downsample, fail) : plain });
      } else if (description === 'Label Image' || description === 'Label_Image') {
        addAssociated(tiffAssociatedImage(file, readTiffImage(file, dir), 'macro'));
      } else if (description === 'Thumbnail') {
        addAssociated(tiffAssociatedImage(file, readTiffImage(file, dir), 'thumbnail'));
      }
    }
    if (levels.length === 0) return fail('no pyramid levels in the slide');
    levels.sort((a, b) => b.image.width - a.image.width);
    const level0 = levels[0].image;
    if (bif) {
      bif.areas.forEach((a, i) => {
        properties[`openslide.region[${i}].x`] = String(Math.trunc(bif!.advanceX * a.startCol));
        properties[`openslide.region[${i}].y`] = String(Math.trunc(bif!.advanceY * a.startRow));
        properties[`openslide.region[${i}].width`] = String(
          Math.ceil(bif!.advanceX * (a.tilesAcross - 1) + level0.tileWidth),
        );
        properties[`openslide.region[${i}].height`] = String(
          Math.ceil(bif!.advanceY * (a.tilesDown - 1) + level0.tileHeight),
        );
      });
    }
    Object.assign(properties, tiffProperties(level0.tags));
    const quickHash = await tiffQuickHash(file, levels[levels.length - 1].image, level0.tags);
    if (quickHash) properties['openslide.quickhash-1'] = quickHash;
    const mpp = mppValue > 0 && Number.isFinite(mppValue) ? { x: mppValue, y: mppValue } : null;
    const power = properties['openslide.objective-power'];
    const slide = new TiledSlide(
      {
        vendor: 'ventana',
        source,
        levels: levels.map((l) => l.grid),
        mpp,
        objectivePower: power === undefined ? null : Number(power),
        properties,
        associated,
      },
      options,
    );
    if (!bif) return slide;
    // OpenSlide clears the tile-size hints of BIF levels (overlapping raw tiles have no tile size of their own).
    const shown = Object.fromEntries(
      Object.entries(slide.properties).filter(([k]) => !/^openslide\.level\[\d+\]\.tile-(width|height)$/.test(k)),
    );
    Object.defineProperty(slide, 'properties', { value: Object.freeze(shown), enumerable: true });
    return slide;
  },
};

/** The directory's XMP packet as OpenSlide reads it (a C string: up to the first NUL); null when absent, false when not BYTE/ASCII/UNDEFINED. */
function xmpPacket(dir: TiffDirectory | undefined): string | null | false {
  const entry = dir?.entries.get(XMP_TAG);
  if (!entry) return null;
  if (entry.type !== 1 && entry.type !== 2 && entry.type !== 7) return false;
  const nul = entry.bytes.indexOf(0);
  return entry.bytes.toString('utf8', 0, nul >= 0 ? nul : entry.bytes.length);
}

const localName = (name: string): string => name.slice(name.indexOf(':') + 1);

/** `/iScan`, or `/Metadata/iScan` (the first such child), else null. */
function iscanElement(root: XmlElement): XmlElement | null {
  if (localName(root.name) === 'iScan') return root;
  if (localName(root.name) === 'Metadata')
    return childElements(root).find((c) => localName(c.name) === 'iScan') ?? null;
  return null;
}

/** `level=N mag=M quality=Q`: space-separated key=value pairs (the last of a key wins); null if level or mag is missing or invalid. */
function parseLevelInfo(description: string): { level: number; magnification: number } | null {
  const fields = new Map<string, string>();
  for (const pair of description.split(' ')) {
    const eq = pair.indexOf('=');
    if (eq >= 0) fields.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const level = fields.get('level');
  const mag = fields.get('mag');
  if (level === undefined || mag === undefined || !/^\s*[+-]?\d+$/.test(level)) return null;
  const magnification = parseDouble(mag);
  if (Number.isNaN(magnification)) return null;
  return { level: Number(level), magnification };
}

/** The level-0 `<EncodeInfo>`: scanned areas and the tile advance from the joint overlaps (OpenSlide's parse_level0_xml). */
function parseEncodeInfo(root: XmlElement, tileWidth: number, tileHeight: number, fail: (msg: string) => never): Bif {
  // XPath without a prefix matches no element in a default namespace.
  const unprefixed = root.name === 'EncodeInfo' && attr(root, 'xmlns') === undefined;
  const infos = unprefixed ? childElements(root, 'SlideStitchInfo').flatMap((s) => childElements(s, 'ImageInfo')) : [];
  const origins = unprefixed ? childElements(root, 'AoiOrigin').flatMap((o) => childElements(o)) : [];
  if (!infos.length || !origins.length || infos.length !== origins.length)
    fail('missing or inconsistent region metadata');
  const int = (el: XmlElement, name: string): number => {
    const v = attr(el, name);
    if (v === undefined) return fail(`no integer attribute "${name}"`);
    if (!/^\s*[+-]?\d+$/.test(v)) return fail(`invalid integer attribute "${name}"`);
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : fail(`integer attribute "${name}" is out of range`);
  };
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

/**
 * One BIF level as OpenSlide's tile map: raw tile (col, row) of an area, shrunk by `downsample`, drawn at
 * (col · advance + area offset) / downsample; where tiles overlap, the lower-right one shows (as OpenSlide).
 * Served as a regular grid of output tiles the TIFF tile size, composed from the raw tiles they touch.
 */
function bifLevel(
  plain: TileGridLevel,
  image: TiffImage,
  bif: Bif,
  downsample: number,
  fail: (msg: string) => never,
): TileGridLevel {
  const perTile = Math.trunc(downsample);
  const tw = image.tileWidth;
  const th = image.tileHeight;
  const advanceX = bif.advanceX / downsample;
  const advanceY = bif.advanceY / downsample;
  const subW = tw / downsample;
  const subH = th / downsample;
  // The pixels one raw tile paints: the whole TIFF tile at level 0, else a ceil-sized piece of one.
  const drawW = perTile > 1 ? Math.ceil(tw / perTile) : tw;
  const drawH = perTile > 1 ? Math.ceil(th / perTile) : th;
  const placed = bif.areas.map((a) => ({
    ...a,
    offsetX: (a.x - a.startCol * bif.advanceX) / downsample,
    offsetY: (a.y - a.startRow * bif.advanceY) / downsample,
  }));
  let right = -Infinity;
  let bottom = -Infinity;
  for (const a of placed) {
    right = Math.max(right, (a.startCol + a.tilesAcross - 1) * advanceX + a.offsetX + subW);
    bottom = Math.max(bottom, (a.startRow + a.tilesDown - 1) * advanceY + a.offsetY + subH);
  }
  const width = Math.ceil(right);
  const height = Math.ceil(bottom);
  if (!(width >= 1 && height >= 1 && width <= 1 << 24 && height <= 1 << 24))
    fail(`a level of ${width}×${height} pixels`);
  const raw = new ByteLruCache<string, RgbaImage>(RAW_TILE_CACHE_BYTES, (t) => t.data.length);
  const rawTile = (col: number, row: number): Promise<RgbaImage> => {
    if (col >= image.tilesAcross || row >= image.tilesDown)
      fail(`raw tile (${col}, ${row}) is outside the ${image.tilesAcross}×${image.tilesDown} TIFF tiles of the level`);
    return raw.getOrLoad(`${col}/${row}`, () => plain.decodeTile(col, row));
  };
  /** The area whose tile (col, row) is drawn: the last one listing it (OpenSlide's hash table replaces). */
  const owner = (col: number, row: number): (typeof placed)[number] | undefined => {
    for (let i = placed.length - 1; i >= 0; i--) {
      const a = placed[i];
      if (col >= a.startCol && col < a.startCol + a.tilesAcross && row >= a.startRow && row < a.startRow + a.tilesDown)
        return a;
    }
    return undefined;
  };
  return {
    width,
    height,
    downsample,
    tileWidth: tw,
    tileHeight: th,
    tilesAcross: Math.ceil(width / tw),
    tilesDown: Math.ceil(height / th),
    async decodeTile(vcol: number, vrow: number): Promise<RgbaImage> {
      const x0 = vcol * tw;
      const y0 = vrow * th;
      const hits: { col: number; row: number; x: number; y: number }[] = [];
      for (const a of placed) {
        const c0 = Math.max(a.startCol, Math.floor((x0 - a.offsetX - Math.max(subW, drawW)) / advanceX));
        const c1 = Math.min(a.startCol + a.tilesAcross - 1, Math.ceil((x0 + tw - a.offsetX) / advanceX));
        const r0 = Math.max(a.startRow, Math.floor((y0 - a.offsetY - Math.max(subH, drawH)) / advanceY));
        const r1 = Math.min(a.startRow + a.tilesDown - 1, Math.ceil((y0 + th - a.offsetY) / advanceY));
        for (let row = r0; row <= r1; row++) {
          for (let col = c0; col <= c1; col++) {
            if (owner(col, row) !== a) continue;
            const x = col * advanceX + a.offsetX;
            const y = row * advanceY + a.offsetY;
            // OpenSlide's skip test uses the nominal (shrunk) tile size.
            if (x + subW <= x0 || y + subH <= y0 || x >= x0 + tw || y >= y0 + th) continue;
            hits.push({ col, row, x, y });
          }
        }
      }
      // OpenSlide paints rows bottom to top, each right to left, with cairo's SATURATE operator: a pixel
      // keeps the first opaque paint, so in an overlap the lower-right tile wins.
      hits.sort((p, q) => q.row - p.row || q.col - p.col);
      const out = Buffer.alloc(tw * th * 4);
      for (const h of hits) {
        const tcol = Math.floor(h.col / perTile);
        const trow = Math.floor(h.row / perTile);
        const tile = await rawTile(tcol, trow);
        const sx = Math.round((h.col % perTile) * (tw / perTile));
        const sy = Math.round((h.row % perTile) * (th / perTile));
        // Sub-pixel positions are rounded (cairo would interpolate).
        const dx = Math.round(h.x) - x0;
        const dy = Math.round(h.y) - y0;
        for (let y = 0; y < drawH; y++) {
          const ty = sy + y;
          const oy = dy + y;
          // Pixels past the TIFF image (padding of edge tiles) are clipped to transparent, as OpenSlide does.
          if (oy < 0 || oy >= th || ty >= th || trow * th + ty >= image.height) continue;
          for (let x = 0; x < drawW; x++) {
            const tx = sx + x;
            const ox = dx + x;
            if (ox < 0 || ox >= tw || tx >= tw || tcol * tw + tx >= image.width) continue;
            const si = (ty * tile.width + tx) * 4;
            const di = (oy * tw + ox) * 4;
            if (tile.data[si + 3] === 0 || out[di + 3] !== 0) continue;
            tile.data.copy(out, di, si, si + 4);
          }
        }
      }
      return { data: out, width: tw, height: th, channels: 4 };
    },
    async readNativeTile() {
      return null;
    },
  };
}
