// 3DHistech MIRAX (OpenSlide 3.4.1's openslide-vendor-mirax.c): `name.mrxs` (content unused) beside a
// folder `name/` holding Slidedat.ini (keys; `mirax/slidedat.ts`, layout `mirax/slide-layout.ts`),
// Index.dat (record tables; `mirax/index-dat.ts`) and Data*.dat (the images). A camera photo is
// CameraImageDivisionsPerSide² images; photos sit at positions from the VIMSLIDE_POSITION_BUFFER record
// (or a nominal grid minus the overlap; `mirax/camera-positions.ts`), so images overlap and are jittered:
// OpenSlide's tilemap (`mirax/tile-placement.ts`). Each zoom level concatenates 2^concat images per side
// (`mirax/level-geometry.ts`); once images span several photos they are cut into sub-tiles placed per
// photo. Tessera lays a regular grid of virtual tiles over each level (`mirax/mirax-level.ts`).
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeJpeg } from '../codecs/jpeg.js';
import { FileSource } from '../file-source.js';
import { cameraPositions } from '../mirax/camera-positions.js';
import { IndexDat, MAX_INDEX_BYTES } from '../mirax/index-dat.js';
import { miraxGeometry } from '../mirax/level-geometry.js';
import { miraxImageDecoder, miraxLevel } from '../mirax/mirax-level.js';
import { readSlideLayout } from '../mirax/slide-layout.js';
import { Slidedat } from '../mirax/slidedat.js';
import { boundsProperties, placeTiles } from '../mirax/tile-placement.js';
import { formatDouble } from '../glib-double.js';
import { checkRegionSize } from '../region-reader.js';
import { SlideError } from '../slide-errors.js';
import type { OpenSlideOptions, SlideFormat, SlideReader } from '../slide-reader.js';
import { TiledSlide, type AssociatedImageSource, type TiledSlideParts } from '../tiled-slide.js';
import { TiffFile } from '../tiff/tiff-file.js';

const MRXS_EXT = '.mrxs';
const SLIDEDAT_MAX_SIZE = 1 << 20;

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

/** Opens the slide; every file it opens goes into `extra` (closed by the caller if this throws). */
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
  const layout = readSlideLayout(ini, iniPath);

  // Files.
  const indexSource = await openFile(join(dirname, layout.indexName), 'index file');
  extra.push(indexSource);
  if (indexSource.size > MAX_INDEX_BYTES) throw new SlideError('too-large', `${indexSource.path} is larger than ${MAX_INDEX_BYTES} bytes`);
  const index = new IndexDat(await indexSource.read(0, indexSource.size), indexSource.path, layout.slideId);
  const datafiles: FileSource[] = [];
  for (const name of layout.fileNames) {
    const f = await openFile(join(dirname, name), 'data file');
    extra.push(f);
    datafiles.push(f);
  }
  const checkRecord = (r: { fileno: number; offset: number; length: number }, what: string): FileSource => {
    const f = datafiles[r.fileno];
    if (!f) throw new SlideError('corrupt', `${indexSource.path} is corrupt: ${what} names data file ${r.fileno}, but the slide has ${datafiles.length}`);
    if (r.offset + r.length > f.size) {
      throw new SlideError('truncated', `${f.path} is truncated: ${what} (bytes ${r.offset}–${r.offset + r.length}) lies past its end (${f.size} bytes)`);
    }
    return f;
  };

  const geometry = miraxGeometry(layout, iniPath);
  const positions = await cameraPositions(layout, geometry.params[0].concat, () => {
    const r = index.nonhierRecord(layout.vimslideRecord !== -1 ? layout.vimslideRecord : layout.stitchingRecord);
    return { file: checkRecord(r, 'the slide position record'), offset: r.offset, length: r.length };
  });

  // Associated images.
  const associated: AssociatedImageSource[] = [];
  for (const [name, recordno] of layout.associatedRecords) {
    if (recordno === -1) continue;
    const r = index.nonhierRecord(recordno);
    associated.push(await associatedImage(name, checkRecord(r, `the ${name} image`), r));
  }

  const placed = await placeTiles(layout, geometry, positions, index, indexSource.path, checkRecord, quickhash);
  const decodeImage = miraxImageDecoder(datafiles);
  const { params, tileSizes } = geometry;
  const levels = layout.sections.map((s, z) =>
    miraxLevel(
      Math.trunc(geometry.baseW / params[z].concat),
      Math.trunc(geometry.baseH / params[z].concat),
      params[z].concat / params[0].concat,
      s,
      tileSizes[z],
      placed.levels[z],
      placed.tileHints,
      (image) => decodeImage(z, s, image),
    ),
  );

  const s0 = layout.sections[0];
  const fill = s0.fillBgr;
  const hex = (n: number) => (n & 0xff).toString(16).toUpperCase().padStart(2, '0');
  const properties: Record<string, string> = {
    ...ini.properties(),
    ...boundsProperties(placed.levels[0], tileSizes[0]),
    'openslide.background-color': `${hex(fill)}${hex(fill >> 8)}${hex(fill >> 16)}`,
    'openslide.objective-power': String(layout.objective),
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
      objectivePower: layout.objective > 0 ? layout.objective : null,
      properties,
      associated,
    },
    options,
    placed.tileHints,
  );
}

/** An associated image (macro, label, thumbnail): one JPEG record, its size read now, decoded when asked. */
async function associatedImage(name: string, f: FileSource, r: { offset: number; length: number }): Promise<AssociatedImageSource> {
  const bytes = await f.read(r.offset, r.length);
  const meta = await sharp(bytes)
    .metadata()
    .catch((err: Error) => {
      throw new SlideError('corrupt', `${f.path}: the ${name} image is not a readable JPEG: ${err.message}`);
    });
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  return {
    name,
    width,
    height,
    read: async () => {
      checkRegionSize(width, height);
      return decodeJpeg(await f.read(r.offset, r.length), width * height);
    },
  };
}
