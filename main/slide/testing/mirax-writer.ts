// Test helper: writes a small, valid 3DHistech MIRAX slide (`name.mrxs` + folder `name/` with Slidedat.ini,
// Index.dat, Data0000.dat, Data0001.dat) laid out as OpenSlide 3.4.1's openslide-vendor-mirax.c reads it:
// IMAGENUMBER_X × IMAGENUMBER_Y camera images of `imageSize` px, CameraImageDivisionsPerSide 2 (each camera
// photo is 2×2 images), photos placed by a VIMSLIDE_POSITION_BUFFER with jitter and overlaps, 3 zoom levels
// (IMAGE_CONCAT_FACTOR 0, 1, 1), and macro / label / thumbnail JPEGs as non-hierarchical records.
// Each photo is the crop of one synthetic scene at its position, tinted per photo, so overlap painting
// order shows in the pixels.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

export interface MiraxFixture {
  mrxs: string;
  folder: string;
  slideId: string;
  /** Level-0 position (x, y) of each camera photo, row-major. */
  positions: [number, number][];
  levelSizes: [number, number][];
}

export interface MiraxWriterOptions {
  /** Camera images per side of a photo (CameraImageDivisionsPerSide); 2 by default. */
  imageSize?: number;
  quality?: number;
}

const SLIDE_ID = 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const IMAGES_X = 4;
const IMAGES_Y = 4;
const DIVISIONS = 2;
const OVERLAP = 16;
const MPP = 0.2325;

/** The scene at level-0 pixel (x, y), RGB. */
function scene(x: number, y: number): [number, number, number] {
  const block = ((x >> 5) + (y >> 5)) % 3;
  return [(x * 0.2 + 30) & 255, (y * 0.2 + 60) & 255, block === 0 ? 50 : block === 1 ? 140 : 220];
}

const TINTS: [number, number, number][] = [
  [0, 0, 0],
  [60, 0, 0],
  [0, 60, 0],
  [0, 0, -60],
];

/** One camera photo: (2·imageSize)² pixels of the scene at `pos`, tinted. */
function photo(pos: [number, number], size: number, tint: [number, number, number]): Buffer {
  const out = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = scene(pos[0] + x, pos[1] + y);
      const i = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) out[i + c] = Math.max(0, Math.min(255, p[c] + tint[c]));
    }
  }
  return out;
}

function crop(src: Buffer, srcW: number, x: number, y: number, w: number, h: number): Buffer {
  const out = Buffer.alloc(w * h * 3);
  for (let r = 0; r < h; r++) src.copy(out, r * w * 3, ((y + r) * srcW + x) * 3, ((y + r) * srcW + x + w) * 3);
  return out;
}

/** Box downsample of RGB by an integer factor. */
function shrink(src: Buffer, w: number, h: number, f: number): Buffer {
  const ow = w / f;
  const oh = h / f;
  const out = Buffer.alloc(ow * oh * 3);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += src[((y * f + dy) * w + x * f + dx) * 3 + c];
        out[(y * ow + x) * 3 + c] = Math.round(s / (f * f));
      }
    }
  }
  return out;
}

function paste(dst: Buffer, dstW: number, src: Buffer, srcW: number, srcH: number, x: number, y: number): void {
  for (let r = 0; r < srcH; r++) src.copy(dst, ((y + r) * dstW + x) * 3, r * srcW * 3, (r + 1) * srcW * 3);
}

const jpeg = (rgb: Buffer, w: number, h: number, quality: number) =>
  sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality, chromaSubsampling: '4:4:4' }).toBuffer();

const int32 = (...values: number[]): Buffer => {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
};

export async function writeMirax(dir: string, name = 'slide', options: MiraxWriterOptions = {}): Promise<MiraxFixture> {
  const size = options.imageSize ?? 256;
  const quality = options.quality ?? 90;
  const photoSize = size * DIVISIONS;
  const step = photoSize - OVERLAP;
  // Jittered positions, multiples of 4 so every level places images on whole pixels.
  const positions: [number, number][] = [
    [0, 0],
    [step - 4, 4],
    [4, step - 8],
    [step, step],
  ];
  const photos = positions.map((p, i) => photo(p, photoSize, TINTS[i]));
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });

  // Data0000.dat: the hierarchical images; records (level, imageIndex, offset, length).
  const data0: Buffer[] = [];
  let data0Size = 0;
  const records: { level: number; index: number; offset: number; length: number }[] = [];
  const add = (level: number, index: number, bytes: Buffer) => {
    records.push({ level, index, offset: data0Size, length: bytes.length });
    data0.push(bytes);
    data0Size += bytes.length;
  };
  // Level 0: each photo's 2×2 images.
  for (let yy = 0; yy < IMAGES_Y; yy++) {
    for (let xx = 0; xx < IMAGES_X; xx++) {
      const p = photos[(yy >> 1) * (IMAGES_X / DIVISIONS) + (xx >> 1)];
      add(0, yy * IMAGES_X + xx, await jpeg(crop(p, photoSize, (xx % 2) * size, (yy % 2) * size, size, size), size, size, quality));
    }
  }
  // Level 1: 2×2 images concatenated and halved = one photo at 1/2.
  for (let py = 0; py < 2; py++) {
    for (let px = 0; px < 2; px++) add(1, py * 2 * IMAGES_X + px * 2, await jpeg(shrink(photos[py * 2 + px], photoSize, photoSize, 2), size, size, quality));
  }
  // Level 2: the four photos at 1/4, side by side, in one image.
  const l2 = Buffer.alloc(size * size * 3);
  for (let i = 0; i < 4; i++) paste(l2, size, shrink(photos[i], photoSize, photoSize, 4), size / 2, size / 2, (i % 2) * (size / 2), (i >> 1) * (size / 2));
  add(2, 0, await jpeg(l2, size, size, quality));

  // Data0001.dat: macro, label, thumbnail, position buffer.
  const nonhier: { offset: number; length: number }[] = [];
  const data1: Buffer[] = [];
  let data1Size = 0;
  const addNonhier = (bytes: Buffer) => {
    nonhier.push({ offset: data1Size, length: bytes.length });
    data1.push(bytes);
    data1Size += bytes.length;
  };
  const card = (w: number, h: number, seed: number) => {
    const b = Buffer.alloc(w * h * 3);
    for (let i = 0; i < w * h; i++) {
      const x = i % w;
      const y = Math.floor(i / w);
      b[i * 3] = (x * 3 + seed) & 255;
      b[i * 3 + 1] = (y * 2 + seed * 2) & 255;
      b[i * 3 + 2] = ((x >> 4) + (y >> 4)) % 2 ? 200 : 40;
    }
    return b;
  };
  addNonhier(await jpeg(card(300, 120, 10), 300, 120, quality)); // macro
  addNonhier(await jpeg(card(120, 100, 80), 120, 100, quality)); // label
  addNonhier(await jpeg(card(200, 160, 150), 200, 160, quality)); // thumbnail
  const posBuf = Buffer.alloc(9 * positions.length);
  positions.forEach(([x, y], i) => {
    posBuf[i * 9] = 1;
    posBuf.writeInt32LE(x, i * 9 + 1);
    posBuf.writeInt32LE(y, i * 9 + 5);
  });
  addNonhier(posBuf);

  writeFileSync(join(folder, 'Data0000.dat'), Buffer.concat(data0));
  writeFileSync(join(folder, 'Data0001.dat'), Buffer.concat(data1));
  writeFileSync(join(folder, 'Index.dat'), indexDat(records, nonhier));
  writeFileSync(join(folder, 'Slidedat.ini'), slidedat(size));
  const mrxs = join(dir, `${name}.mrxs`);
  writeFileSync(mrxs, Buffer.alloc(0));
  const base = IMAGES_X * size - OVERLAP;
  return { mrxs, folder, slideId: SLIDE_ID, positions, levelSizes: [0, 1, 2].map((l) => [base >> l, base >> l]) };
}

/** Index.dat: version, slide id, hier root pointer, nonhier root pointer, then the tables and data pages. */
function indexDat(records: { level: number; index: number; offset: number; length: number }[], nonhier: { offset: number; length: number }[]): Buffer {
  const head = Buffer.from(`01.02${SLIDE_ID}`, 'latin1');
  const parts: Buffer[] = [];
  let at = head.length + 8;
  const put = (b: Buffer) => {
    const start = at;
    parts.push(b);
    at += b.length;
    return start;
  };
  // Hier: one pointer per zoom level → [0, firstPage] → page(s).
  const levels = 3;
  const hierTable = at;
  put(Buffer.alloc(levels * 4)); // patched below
  const levelPtrs: number[] = [];
  for (let level = 0; level < levels; level++) {
    const entries = records.filter((r) => r.level === level);
    const headerAt = put(Buffer.alloc(8));
    levelPtrs.push(headerAt);
    // Two contiguous pages for level 0 (exercises "next" pointers), one for the others.
    const pages = level === 0 ? [entries.slice(0, 10), entries.slice(10)] : [entries];
    const firstPage = at;
    parts[parts.length - 1] = int32(0, firstPage);
    pages.forEach((page, i) => {
      const pageLen = 8 + page.length * 16;
      const next = i + 1 < pages.length ? at + pageLen : 0;
      put(Buffer.concat([int32(page.length, next), ...page.map((r) => int32(r.index, r.offset, r.length, 0))]));
    });
  }
  parts[0] = int32(...levelPtrs);
  // Nonhier: pointer table → per record [0, page] → page [1, 0, 0, 0, offset, size, fileno].
  const nonhierTable = put(Buffer.alloc(nonhier.length * 4));
  const tableIndex = parts.length - 1;
  const recordPtrs: number[] = [];
  for (const r of nonhier) {
    const rec = put(Buffer.alloc(8));
    const recIndex = parts.length - 1;
    const page = put(int32(1, 0, 0, 0, r.offset, r.length, 1));
    parts[recIndex] = int32(0, page);
    recordPtrs.push(rec);
  }
  parts[tableIndex] = int32(...recordPtrs);
  return Buffer.concat([head, int32(hierTable, nonhierTable), ...parts]);
}

function slidedat(size: number): string {
  const level = (i: number, concat: number) => [
    `[LAYER_0_LEVEL_${i}_SECTION]`,
    `OVERLAP_X=${i === 0 ? OVERLAP : OVERLAP}`,
    `OVERLAP_Y=${OVERLAP}`,
    `MICROMETER_PER_PIXEL_X=${MPP * 2 ** i}`,
    `MICROMETER_PER_PIXEL_Y=${MPP * 2 ** i}`,
    'IMAGE_FORMAT=JPEG',
    'IMAGE_FILL_COLOR_BGR=15790320',
    `DIGITIZER_WIDTH=${size}`,
    `DIGITIZER_HEIGHT=${size}`,
    `IMAGE_CONCAT_FACTOR=${concat}`,
    '',
  ];
  const lines = [
    '[GENERAL]',
    'SLIDE_NAME=slide',
    `SLIDE_ID=${SLIDE_ID}`,
    'SLIDE_VERSION=01.02',
    'SLIDE_CREATIONDATETIME=01/02/2020 10:11:12',
    `IMAGENUMBER_X=${IMAGES_X}`,
    `IMAGENUMBER_Y=${IMAGES_Y}`,
    'OBJECTIVE_MAGNIFICATION=20',
    'OBJECTIVE_NAME=Plan-Apochromat',
    `CameraImageDivisionsPerSide=${DIVISIONS}`,
    '',
    '[HIERARCHICAL]',
    'INDEXFILE=Index.dat',
    'HIER_COUNT=1',
    'HIER_0_NAME=Slide zoom level',
    'HIER_0_COUNT=3',
    'HIER_0_VAL_0=ZoomLevel_0',
    'HIER_0_VAL_0_SECTION=LAYER_0_LEVEL_0_SECTION',
    'HIER_0_VAL_1=ZoomLevel_1',
    'HIER_0_VAL_1_SECTION=LAYER_0_LEVEL_1_SECTION',
    'HIER_0_VAL_2=ZoomLevel_2',
    'HIER_0_VAL_2_SECTION=LAYER_0_LEVEL_2_SECTION',
    'NONHIER_COUNT=2',
    'NONHIER_0_NAME=Scan data layer',
    'NONHIER_0_COUNT=3',
    'NONHIER_0_VAL_0=ScanDataLayer_SlideThumbnail',
    'NONHIER_0_VAL_0_SECTION=NONHIERLAYER_0_LEVEL_0_SECTION',
    'NONHIER_0_VAL_1=ScanDataLayer_SlideBarcode',
    'NONHIER_0_VAL_1_SECTION=NONHIERLAYER_0_LEVEL_1_SECTION',
    'NONHIER_0_VAL_2=ScanDataLayer_SlidePreview',
    'NONHIER_0_VAL_2_SECTION=NONHIERLAYER_0_LEVEL_2_SECTION',
    'NONHIER_1_NAME=VIMSLIDE_POSITION_BUFFER',
    'NONHIER_1_COUNT=1',
    'NONHIER_1_VAL_0=default',
    'NONHIER_1_VAL_0_SECTION=NONHIERLAYER_1_LEVEL_0_SECTION',
    '',
    '[DATAFILE]',
    'FILE_COUNT=2',
    'FILE_0=Data0000.dat',
    'FILE_1=Data0001.dat',
    '',
    ...level(0, 0),
    ...level(1, 1),
    ...level(2, 1),
    '[NONHIERLAYER_0_LEVEL_0_SECTION]',
    'THUMBNAIL_IMAGE_TYPE=JPEG',
    '',
    '[NONHIERLAYER_0_LEVEL_1_SECTION]',
    'BARCODE_IMAGE_TYPE=JPEG',
    '',
    '[NONHIERLAYER_0_LEVEL_2_SECTION]',
    'PREVIEW_IMAGE_TYPE=JPEG',
    '',
    '[NONHIERLAYER_1_LEVEL_0_SECTION]',
    'VIMSLIDE_POSITION_DATA_FORMAT_VERSION=257',
    '',
  ];
  return '\ufeff' + lines.join('\r\n');
}
