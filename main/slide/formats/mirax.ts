// 3DHistech MIRAX (OpenSlide 3.4.1's openslide-vendor-mirax.c): `name.mrxs` (content unused) beside a
// folder `name/` holding Slidedat.ini (keys; `mirax/slidedat.ts`), Index.dat (record tables;
// `mirax/index-dat.ts`) and Data*.dat (the images). A camera photo is CameraImageDivisionsPerSide² images;
// photos sit at positions from the VIMSLIDE_POSITION_BUFFER record (or a nominal grid minus the overlap),
// so images overlap and are jittered: OpenSlide's tilemap. Each zoom level concatenates 2^concat images
// per side; once images span several photos they are cut into sub-tiles placed per photo. Tessera lays a
// regular grid of virtual tiles over each level and paints into each the placed images that meet it, in
// OpenSlide's order (row-major by tile index, later on top); uncovered pixels stay transparent.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { ByteLruCache } from '../../common/byte-lru-cache.js';
import { decodeJpeg } from '../codecs/jpeg.js';
import { toRgba, type RgbaImage } from '../codecs/rgba.js';
import { FileSource } from '../file-source.js';
import { IndexDat, MAX_INDEX_BYTES } from '../mirax/index-dat.js';
import { Slidedat } from '../mirax/slidedat.js';
import { checkRegionSize } from '../region-reader.js';
import { SlideError } from '../slide-errors.js';
import type { OpenSlideOptions, SlideFormat, SlideReader } from '../slide-reader.js';
import type { TileGridLevel } from '../tile-grid.js';
import { TiledSlide, type AssociatedImageSource, type TiledSlideParts } from '../tiled-slide.js';
import { TiffFile } from '../tiff/tiff-file.js';
import { formatDouble } from './ndpi.js';

const MRXS_EXT = '.mrxs';
const SLIDEDAT_MAX_SIZE = 1 << 20;
const GENERAL = 'GENERAL';
const HIER = 'HIERARCHICAL';
const DATAFILE = 'DATAFILE';
/** Virtual tile side when OpenSlide gives no tile size. */
const VIRTUAL_TILE = 256;
const DECODED_IMAGE_CACHE_BYTES = 32 << 20;
const MAX_IMAGES = 1 << 22;

type ImageFormat = 'jpeg' | 'png' | 'bmp';

interface Image {
  fileno: number;
  offset: number;
  length: number;
  imageno: number;
}

interface Placement {
  image: Image;
  srcX: number;
  srcY: number;
  tileX: number;
  tileY: number;
  posX: number;
  posY: number;
}

interface LevelParams {
  concat: number;
  tileCountDivisor: number;
  tilesPerImage: number;
  positionsPerTile: number;
  advanceX: number;
  advanceY: number;
}

interface ZoomSection {
  concatExponent: number;
  overlapX: number;
  overlapY: number;
  mppX: number;
  mppY: number;
  fillBgr: number;
  format: ImageFormat;
  imageW: number;
  imageH: number;
}

export const mirax: SlideFormat = {
  name: 'mirax',

  async detect(source: FileSource): Promise<boolean> {
    if (!source.path.endsWith(MRXS_EXT)) return false;
    return !(await TiffFile.isTiff(source));
  },

  async open(source: FileSource, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const extra: FileSource[] = [];
    try {
      return await openMirax(source, extra, options);
    } catch (err) {
      await Promise.all(extra.map((s) => s.close().catch(() => undefined)));
      throw err;
    }
  },
};

/** TiledSlide with OpenSlide's MIRAX rule for tile sizes: no `tile-width`/`tile-height` properties when any level's tiles are irregular. */
class MiraxSlide extends TiledSlide {
  constructor(parts: TiledSlideParts, options: OpenSlideOptions, tileHints: boolean) {
    super(parts, options);
    if (!tileHints) {
      const kept = Object.entries(this.properties).filter(([k]) => !/^openslide\.level\[\d+\]\.tile-(width|height)$/.test(k));
      Object.defineProperty(this, 'properties', { value: Object.freeze(Object.fromEntries(kept)), enumerable: true });
    }
  }
}

async function openFile(path: string, what: string): Promise<FileSource> {
  try {
    return await FileSource.open(path);
  } catch (err) {
    if (err instanceof SlideError && err.code === 'not-found') throw new SlideError('not-found', `The MIRAX slide is incomplete: its ${what} ${path} is missing`);
    throw err;
  }
}

function parseFormat(name: string, path: string): ImageFormat {
  if (name === 'JPEG') return 'jpeg';
  if (name === 'PNG') return 'png';
  if (name === 'BMP24') return 'bmp';
  throw new SlideError('unsupported-feature', `${path}: unrecognized MIRAX image format ${name}`);
}

function positive(n: number, what: string, path: string, allowZero = false): void {
  if (allowZero ? n < 0 : n <= 0) throw new SlideError('corrupt', `${path} is corrupt: ${what} is ${n}`);
}

async function openMirax(source: FileSource, extra: FileSource[], options: OpenSlideOptions): Promise<SlideReader> {
  const dirname = source.path.slice(0, -MRXS_EXT.length);
  const folderStat = await stat(dirname).catch(() => null);
  if (!folderStat?.isDirectory()) {
    throw new SlideError('not-found', `${source.path} is a MIRAX slide whose data folder ${dirname} (named like the .mrxs file, beside it) is missing`);
  }
  const iniPath = join(dirname, 'Slidedat.ini');
  const iniSource = await openFile(iniPath, 'Slidedat.ini');
  let iniBytes: Buffer;
  try {
    if (iniSource.size > SLIDEDAT_MAX_SIZE) throw new SlideError('too-large', `${iniPath} is larger than ${SLIDEDAT_MAX_SIZE} bytes`);
    iniBytes = await iniSource.read(0, iniSource.size);
  } finally {
    await iniSource.close();
  }
  const quickhash = createHash('sha256').update(iniBytes);
  const ini = Slidedat.parse(iniBytes.toString('utf8'), iniPath);

  for (const g of [GENERAL, HIER, DATAFILE]) if (!ini.has(g)) throw new SlideError('corrupt', `${iniPath} is corrupt: it has no [${g}] group`);
  ini.value(GENERAL, 'SLIDE_VERSION');
  const slideId = ini.value(GENERAL, 'SLIDE_ID');
  const imagesX = ini.integer(GENERAL, 'IMAGENUMBER_X');
  const imagesY = ini.integer(GENERAL, 'IMAGENUMBER_Y');
  const objective = ini.integer(GENERAL, 'OBJECTIVE_MAGNIFICATION');
  // Absent or unreadable: 1, as OpenSlide.
  const divisionsText = ini.optional(GENERAL, 'CameraImageDivisionsPerSide');
  const divisions = divisionsText !== undefined && /^\s*[-+]?\d+\s*$/.test(divisionsText) ? ini.integer(GENERAL, 'CameraImageDivisionsPerSide') : 1;
  positive(imagesX, 'IMAGENUMBER_X', iniPath);
  positive(imagesY, 'IMAGENUMBER_Y', iniPath);
  positive(divisions, 'CameraImageDivisionsPerSide', iniPath);
  if (imagesX * imagesY > MAX_IMAGES) throw new SlideError('too-large', `${iniPath}: ${imagesX}×${imagesY} camera images are more than Tessera reads (${MAX_IMAGES})`);
  const hierCount = ini.integer(HIER, 'HIER_COUNT');
  const nonhierCount = ini.integer(HIER, 'NONHIER_COUNT');
  positive(hierCount, 'HIER_COUNT', iniPath);
  positive(nonhierCount, 'NONHIER_COUNT', iniPath, true);
  let zoomHier = -1;
  for (let i = 0; i < hierCount; i++) {
    if (ini.value(HIER, `HIER_${i}_NAME`) === 'Slide zoom level') {
      zoomHier = i;
      break;
    }
  }
  if (zoomHier === -1) throw new SlideError('corrupt', `${iniPath} is corrupt: no HIER_n_NAME is "Slide zoom level"`);
  if (zoomHier !== 0) throw new SlideError('unsupported-feature', `${iniPath}: the slide zoom level is not HIER_0`);
  const indexName = ini.value(HIER, 'INDEXFILE');
  const zoomLevels = ini.integer(HIER, `HIER_0_COUNT`);
  positive(zoomLevels, 'HIER_0_COUNT', iniPath);
  if (zoomLevels > 32) throw new SlideError('corrupt', `${iniPath} is corrupt: ${zoomLevels} zoom levels`);
  const sectionNames = Array.from({ length: zoomLevels }, (_, i) => ini.value(HIER, `HIER_0_VAL_${i}_SECTION`));
  const fileCount = ini.integer(DATAFILE, 'FILE_COUNT');
  positive(fileCount, 'FILE_COUNT', iniPath);
  if (fileCount > 65536) throw new SlideError('corrupt', `${iniPath} is corrupt: FILE_COUNT is ${fileCount}`);
  const fileNames = Array.from({ length: fileCount }, (_, i) => ini.value(DATAFILE, `FILE_${i}`));
  const sections: ZoomSection[] = sectionNames.map((group, i) => {
    if (!ini.has(group)) throw new SlideError('corrupt', `${iniPath} is corrupt: it has no [${group}] group`);
    const s: ZoomSection = {
      concatExponent: ini.integer(group, 'IMAGE_CONCAT_FACTOR'),
      overlapX: ini.double(group, 'OVERLAP_X'),
      overlapY: ini.double(group, 'OVERLAP_Y'),
      mppX: ini.double(group, 'MICROMETER_PER_PIXEL_X'),
      mppY: ini.double(group, 'MICROMETER_PER_PIXEL_Y'),
      fillBgr: ini.integer(group, 'IMAGE_FILL_COLOR_BGR'),
      imageW: ini.integer(group, 'DIGITIZER_WIDTH'),
      imageH: ini.integer(group, 'DIGITIZER_HEIGHT'),
      format: 'jpeg',
    };
    positive(s.concatExponent, `[${group}] IMAGE_CONCAT_FACTOR`, iniPath, i === 0);
    positive(s.imageW, `[${group}] DIGITIZER_WIDTH`, iniPath);
    positive(s.imageH, `[${group}] DIGITIZER_HEIGHT`, iniPath);
    if (s.imageW * s.imageH > 1 << 26) throw new SlideError('too-large', `${iniPath}: [${group}] images of ${s.imageW}×${s.imageH} pixels are too large`);
    s.format = parseFormat(ini.value(group, 'IMAGE_FORMAT'), iniPath);
    return s;
  });

  // Non-hierarchical records: record number = values of the names before + index among this name's values.
  const nonhierNames: { name: string; offset: number; count: number; index: number }[] = [];
  let offset = 0;
  for (let i = 0; i < nonhierCount; i++) {
    const name = ini.value(HIER, `NONHIER_${i}_NAME`);
    const count = ini.integer(HIER, `NONHIER_${i}_COUNT`);
    if (count === 0) throw new SlideError('corrupt', `${iniPath} is corrupt: NONHIER_${i}_COUNT is zero`);
    nonhierNames.push({ name, offset, count, index: i });
    offset += count;
  }
  const nonhierOffset = (name: string) => nonhierNames.find((n) => n.name === name)?.offset ?? -1;
  const associatedRecord = (value: string, formatKey: string): number => {
    const n = nonhierNames.find((x) => x.name === 'Scan data layer');
    if (!n) return -1;
    for (let i = 0; i < n.count; i++) {
      if (ini.value(HIER, `NONHIER_${n.index}_VAL_${i}`) !== value) continue;
      const section = ini.value(HIER, `NONHIER_${n.index}_VAL_${i}_SECTION`);
      const format = ini.value(section, formatKey);
      if (format !== 'JPEG') throw new SlideError('unsupported-feature', `${iniPath}: unsupported associated image format ${format}`);
      return n.offset + i;
    }
    return -1;
  };
  const vimslide = nonhierOffset('VIMSLIDE_POSITION_BUFFER');
  const stitching = vimslide === -1 ? nonhierOffset('StitchingIntensityLayer') : -1;
  const associatedRecords: [string, number][] = [
    ['macro', associatedRecord('ScanDataLayer_SlideThumbnail', 'THUMBNAIL_IMAGE_TYPE')],
    ['label', associatedRecord('ScanDataLayer_SlideBarcode', 'BARCODE_IMAGE_TYPE')],
    ['thumbnail', associatedRecord('ScanDataLayer_SlidePreview', 'PREVIEW_IMAGE_TYPE')],
  ];

  // Files.
  const indexSource = await openFile(join(dirname, indexName), 'index file');
  extra.push(indexSource);
  if (indexSource.size > MAX_INDEX_BYTES) throw new SlideError('too-large', `${indexSource.path} is larger than ${MAX_INDEX_BYTES} bytes`);
  const index = new IndexDat(await indexSource.read(0, indexSource.size), indexSource.path, slideId);
  const datafiles: FileSource[] = [];
  for (const name of fileNames) {
    const f = await openFile(join(dirname, name), 'data file');
    extra.push(f);
    datafiles.push(f);
  }
  const checkRecord = (r: { fileno: number; offset: number; length: number }, what: string): FileSource => {
    const f = datafiles[r.fileno];
    if (!f) throw new SlideError('corrupt', `${indexSource.path} is corrupt: ${what} names data file ${r.fileno}, but the slide has ${fileCount}`);
    if (r.offset + r.length > f.size) {
      throw new SlideError('truncated', `${f.path} is truncated: ${what} (bytes ${r.offset}–${r.offset + r.length}) lies past its end (${f.size} bytes)`);
    }
    return f;
  };

  // Geometry.
  const s0 = sections[0];
  let baseW = 0;
  let baseH = 0;
  for (let i = 0; i < imagesX; i++) baseW += i % divisions !== divisions - 1 || i === imagesX - 1 ? s0.imageW : s0.imageW - s0.overlapX;
  for (let i = 0; i < imagesY; i++) baseH += i % divisions !== divisions - 1 || i === imagesY - 1 ? s0.imageH : s0.imageH - s0.overlapY;
  baseW = Math.trunc(baseW);
  baseH = Math.trunc(baseH);
  const positionMode = vimslide !== -1 || stitching !== -1 || s0.overlapX !== 0 || s0.overlapY !== 0;
  let totalExp = 0;
  const params: LevelParams[] = [];
  const tileSizes: { w: number; h: number }[] = [];
  for (const s of sections) {
    totalExp += s.concatExponent;
    if (totalExp > 30) throw new SlideError('corrupt', `${iniPath} is corrupt: the IMAGE_CONCAT_FACTORs add up to ${totalExp}`);
    const concat = 2 ** totalExp;
    const positionsPerImage = Math.max(1, Math.trunc(concat / divisions));
    const p: LevelParams = positionMode
      ? { concat, tileCountDivisor: Math.min(concat, divisions), tilesPerImage: positionsPerImage, positionsPerTile: 1, advanceX: 0, advanceY: 0 }
      : { concat, tileCountDivisor: concat, tilesPerImage: 1, positionsPerTile: positionsPerImage, advanceX: 0, advanceY: 0 };
    const tw = s.imageW / p.tilesPerImage;
    const th = s.imageH / p.tilesPerImage;
    const imagesPerPosition = Math.max(1, Math.trunc(divisions / concat));
    p.advanceX = tw - s.overlapX / imagesPerPosition;
    p.advanceY = th - s.overlapY / imagesPerPosition;
    params.push(p);
    tileSizes.push({ w: tw, h: th });
  }
  const hints = params.map((p, i) => Number.isInteger(p.advanceX) && Number.isInteger(p.advanceY) && p.advanceX === tileSizes[i].w && p.advanceY === tileSizes[i].h);

  // Camera positions.
  const positionsX = Math.trunc(imagesX / divisions);
  const npositions = positionsX * Math.trunc(imagesY / divisions);
  let positions: Int32Array;
  if (vimslide !== -1 || stitching !== -1) {
    const recordno = vimslide !== -1 ? vimslide : stitching;
    const r = index.nonhierRecord(recordno);
    const f = checkRecord(r, 'the slide position record');
    let buf = await f.read(r.offset, r.length);
    if (stitching !== -1) {
      const { inflateSync } = await import('node:zlib');
      try {
        buf = inflateSync(buf, { maxOutputLength: 9 * npositions + 1 });
      } catch (err) {
        throw new SlideError('corrupt', `${f.path}: the slide position record could not be decompressed: ${(err as Error).message}`);
      }
    }
    if (buf.length !== 9 * npositions) throw new SlideError('corrupt', `${f.path}: the slide position record is ${buf.length} bytes where ${npositions} positions need ${9 * npositions}`);
    positions = new Int32Array(npositions * 2);
    for (let i = 0; i < npositions; i++) {
      if (buf[i * 9] & 0xfe) throw new SlideError('corrupt', `${f.path}: unexpected flag value ${buf[i * 9]} in the slide position record`);
      positions[i * 2] = buf.readInt32LE(i * 9 + 1) * params[0].concat;
      positions[i * 2 + 1] = buf.readInt32LE(i * 9 + 5) * params[0].concat;
    }
  } else {
    positions = new Int32Array(npositions * 2);
    for (let i = 0; i < npositions; i++) {
      positions[i * 2] = (i % positionsX) * (s0.imageW * divisions - s0.overlapX);
      positions[i * 2 + 1] = Math.trunc(i / positionsX) * (s0.imageH * divisions - s0.overlapY);
    }
  }

  // Associated images.
  const associated: AssociatedImageSource[] = [];
  for (const [name, recordno] of associatedRecords) {
    if (recordno === -1) continue;
    const r = index.nonhierRecord(recordno);
    const f = checkRecord(r, `the ${name} image`);
    const bytes = await f.read(r.offset, r.length);
    const meta = await sharp(bytes)
      .metadata()
      .catch((err: Error) => {
        throw new SlideError('corrupt', `${f.path}: the ${name} image is not a readable JPEG: ${err.message}`);
      });
    const width = meta.width ?? 0;
    const height = meta.height ?? 0;
    associated.push({
      name,
      width,
      height,
      read: async () => {
        checkRegionSize(width, height);
        return decodeJpeg(await f.read(r.offset, r.length), width * height);
      },
    });
  }

  // Hierarchical records → placed tiles.
  const active = new Set<number>();
  let imageno = 0;
  const levelTiles: Map<string, Placement>[] = [];
  const offsets: boolean[] = params.map(() => false);
  for (let z = 0; z < zoomLevels; z++) {
    const lp = params[z];
    const tiles = new Map<string, Placement>();
    levelTiles.push(tiles);
    for (const rec of index.hierRecords(z, imagesX * imagesY)) {
      const x = rec.imageIndex % imagesX;
      const y = Math.trunc(rec.imageIndex / imagesX);
      if (y >= imagesY) throw new SlideError('corrupt', `${indexSource.path} is corrupt: image ${rec.imageIndex} of zoom level ${z} lies outside the ${imagesX}×${imagesY} images`);
      if (x % lp.concat || y % lp.concat) throw new SlideError('corrupt', `${indexSource.path} is corrupt: image ${rec.imageIndex} is not at a multiple of ${lp.concat} for zoom level ${z}`);
      const f = checkRecord(rec, `image ${rec.imageIndex} of zoom level ${z}`);
      if (z === zoomLevels - 1) quickhash.update(await f.read(rec.offset, rec.length));
      const image: Image = { fileno: rec.fileno, offset: rec.offset, length: rec.length, imageno: imageno++ };
      for (let yi = 0; yi < lp.tilesPerImage; yi++) {
        const yy = y + yi * divisions;
        if (yy >= imagesY) break;
        for (let xi = 0; xi < lp.tilesPerImage; xi++) {
          const xx = x + xi * divisions;
          if (xx >= imagesX) break;
          const xp = Math.trunc(xx / divisions);
          const yp = Math.trunc(yy / divisions);
          const cp = yp * positionsX + xp;
          const pos0X = positions[cp * 2] + s0.imageW * (xx - xp * divisions);
          const pos0Y = positions[cp * 2 + 1] + s0.imageH * (yy - yp * divisions);
          if (z === 0) {
            if (positions[cp * 2] === 0 && positions[cp * 2 + 1] === 0 && (xp !== 0 || yp !== 0)) continue;
            active.add(cp);
          } else {
            let any = false;
            for (let ypp = yp; ypp < yp + lp.positionsPerTile && !any; ypp++) {
              for (let xpp = xp; xpp < xp + lp.positionsPerTile && !any; xpp++) any = active.has(ypp * positionsX + xpp);
            }
            if (!any) continue;
          }
          const tileX = Math.trunc(x / lp.tileCountDivisor) + xi;
          const tileY = Math.trunc(y / lp.tileCountDivisor) + yi;
          const posX = pos0X / lp.concat;
          const posY = pos0Y / lp.concat;
          if (posX - tileX * lp.advanceX || posY - tileY * lp.advanceY) offsets[z] = true;
          tiles.set(`${tileX},${tileY}`, { image, srcX: tileSizes[z].w * xi, srcY: tileSizes[z].h * yi, tileX, tileY, posX, posY });
        }
      }
    }
  }
  const tileHints = hints.every((h, i) => h && !offsets[i]);

  const cache = new ByteLruCache<string, RgbaImage>(DECODED_IMAGE_CACHE_BYTES, (i) => i.data.length);
  const levels: TileGridLevel[] = sections.map((s, z) => {
    const decodeImage = (image: Image) =>
      cache.getOrLoad(`${z}/${image.imageno}`, async () => {
        const f = datafiles[image.fileno];
        const bytes = await f.read(image.offset, image.length);
        const describe = `${f.path}: image ${image.imageno} of zoom level ${z} (bytes ${image.offset}–${image.offset + image.length})`;
        let decoded: RgbaImage;
        if (s.format === 'jpeg') decoded = await decodeJpeg(bytes, s.imageW * s.imageH);
        else if (s.format === 'png') {
          const { data, info } = await sharp(bytes, { limitInputPixels: s.imageW * s.imageH })
            .removeAlpha()
            .raw()
            .toBuffer({ resolveWithObject: true })
            .catch((err: Error) => {
              throw new SlideError('corrupt', `${describe} could not be decoded: ${err.message}`);
            });
          decoded = toRgba(data, info.width, info.height, info.channels);
        } else throw new SlideError('unsupported-feature', `${describe} is a BMP image, which Tessera does not decode`);
        if (decoded.width !== s.imageW || decoded.height !== s.imageH) {
          throw new SlideError('corrupt', `${describe} is ${decoded.width}×${decoded.height} pixels where Slidedat.ini says ${s.imageW}×${s.imageH}`);
        }
        for (let i = 3; i < decoded.data.length; i += 4) decoded.data[i] = 255;
        return decoded;
      });
    return miraxLevel(Math.trunc(baseW / params[z].concat), Math.trunc(baseH / params[z].concat), params[z].concat / params[0].concat, s, tileSizes[z], levelTiles[z], tileHints, decodeImage);
  });

  // OpenSlide's bounds: the box around every placed level-0 tile.
  let bx0 = Infinity;
  let by0 = Infinity;
  let bx1 = -Infinity;
  let by1 = -Infinity;
  for (const p of levelTiles[0].values()) {
    bx0 = Math.min(bx0, p.posX);
    by0 = Math.min(by0, p.posY);
    bx1 = Math.max(bx1, p.posX + tileSizes[0].w);
    by1 = Math.max(by1, p.posY + tileSizes[0].h);
  }
  const bounds: Record<string, string> =
    bx0 === Infinity
      ? {}
      : {
          'openslide.bounds-x': String(Math.floor(bx0)),
          'openslide.bounds-y': String(Math.floor(by0)),
          'openslide.bounds-width': String(Math.ceil(bx1) - Math.floor(bx0)),
          'openslide.bounds-height': String(Math.ceil(by1) - Math.floor(by0)),
        };
  const fill = s0.fillBgr;
  const hex = (n: number) => (n & 0xff).toString(16).toUpperCase().padStart(2, '0');
  const properties: Record<string, string> = {
    ...ini.properties(),
    ...bounds,
    'openslide.background-color': `${hex(fill)}${hex(fill >> 8)}${hex(fill >> 16)}`,
    'openslide.objective-power': String(objective),
    'openslide.mpp-x': formatDouble(s0.mppX),
    'openslide.mpp-y': formatDouble(s0.mppY),
    'openslide.quickhash-1': quickhash.digest('hex'),
  };
  return new MiraxSlide(
    {
      vendor: 'mirax',
      source,
      extraSources: extra,
      levels,
      mpp: s0.mppX > 0 && s0.mppY > 0 ? { x: s0.mppX, y: s0.mppY } : null,
      objectivePower: objective > 0 ? objective : null,
      properties,
      associated,
    },
    options,
    tileHints,
  );
}

function miraxLevel(
  width: number,
  height: number,
  downsample: number,
  s: ZoomSection,
  tile: { w: number; h: number },
  placed: Map<string, Placement>,
  tileHints: boolean,
  decodeImage: (image: Image) => Promise<RgbaImage>,
): TileGridLevel {
  const tw = tileHints ? tile.w : VIRTUAL_TILE;
  const th = tileHints ? tile.h : VIRTUAL_TILE;
  const tilesAcross = Math.max(1, Math.ceil(width / tw));
  const tilesDown = Math.max(1, Math.ceil(height / th));
  // What each virtual tile shows, in OpenSlide's paint order.
  const order = [...placed.values()].sort((a, b) => a.tileY - b.tileY || a.tileX - b.tileX);
  const paintW = Math.ceil(tile.w);
  const paintH = Math.ceil(tile.h);
  const buckets = new Map<number, Placement[]>();
  for (const p of order) {
    const x0 = Math.round(p.posX);
    const y0 = Math.round(p.posY);
    for (let row = Math.max(0, Math.floor(y0 / th)); row <= Math.min(tilesDown - 1, Math.floor((y0 + paintH - 1) / th)); row++) {
      for (let col = Math.max(0, Math.floor(x0 / tw)); col <= Math.min(tilesAcross - 1, Math.floor((x0 + paintW - 1) / tw)); col++) {
        const key = row * tilesAcross + col;
        let list = buckets.get(key);
        if (!list) buckets.set(key, (list = []));
        list.push(p);
      }
    }
  }
  return {
    width,
    height,
    downsample,
    tileWidth: tw,
    tileHeight: th,
    tilesAcross,
    tilesDown,
    async decodeTile(col: number, row: number): Promise<RgbaImage> {
      const out = Buffer.alloc(tw * th * 4);
      const list = buckets.get(row * tilesAcross + col) ?? [];
      const images = await Promise.all(list.map((p) => decodeImage(p.image)));
      list.forEach((p, i) => {
        const img = images[i];
        const sx = Math.round(p.srcX);
        const sy = Math.round(p.srcY);
        const dx = Math.round(p.posX) - col * tw;
        const dy = Math.round(p.posY) - row * th;
        const w = Math.min(paintW, s.imageW - sx);
        const h = Math.min(paintH, s.imageH - sy);
        const x0 = Math.max(0, dx);
        const x1 = Math.min(tw, dx + w);
        if (x0 >= x1) return;
        for (let y = Math.max(0, dy); y < Math.min(th, dy + h); y++) {
          const src = ((sy + y - dy) * img.width + sx + x0 - dx) * 4;
          img.data.copy(out, (y * tw + x0) * 4, src, src + (x1 - x0) * 4);
        }
      });
      return { data: out, width: tw, height: th, channels: 4 };
    },
    readNativeTile: () => Promise.resolve(null),
  };
}

