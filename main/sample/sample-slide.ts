// The built-in sample slide: a synthetic H&E whole-slide image written on first use into the user's
// data cache, as a pyramidal tiled JPEG TIFF at 0.25 µm/px (40×) with a label image. Deterministic
// (seeded), so its tumour ground truth below holds for every copy.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { tesseraDataDir } from '../common/data-dir.js';
import { join } from 'node:path';
import sharp from 'sharp';
import { labelImage } from './label-image.js';
import { SampleTileRenderer } from './sample-tile-renderer.js';
import { blobPolygon, tissueLayout, type TumourRegion } from './tissue-layout.js';
import { TiffType, writeTiff, type TiffDirectorySpec, type TiffTag } from './tiff-writer.js';

export const SAMPLE_SLIDE = {
  /** Bump when the pixels change, so caches regenerate. */
  version: 1,
  seed: 20240611,
  width: 20480,
  height: 15360,
  tileSize: 256,
  mpp: 0.25,
  objectivePower: 40,
  jpegQuality: 85,
  label: { width: 384, height: 384 },
} as const;

const TISSUE = tissueLayout(SAMPLE_SLIDE.width, SAMPLE_SLIDE.height, SAMPLE_SLIDE.seed);

/** Ground truth: the tumour regions of the sample slide, polygons in level-0 pixels. */
export const SAMPLE_TUMOUR_REGIONS: readonly TumourRegion[] = TISSUE.tumour.map((blob, i) => ({
  id: `tumour-${i + 1}`,
  polygon: blobPolygon(blob),
}));

/** Outlines of the tissue fragments, level-0 pixels (tumour lies inside them). */
export const SAMPLE_TISSUE_REGIONS: readonly TumourRegion[] = TISSUE.tissue.map((blob, i) => ({
  id: `tissue-${i + 1}`,
  polygon: blobPolygon(blob),
}));


export function sampleSlidePath(): string {
  return join(tesseraDataDir(), 'samples', `tessera-sample-he-v${SAMPLE_SLIDE.version}.tiff`);
}

/** The label image beside the slide: `<slide>.label.png`. */
export function sampleLabelPath(): string {
  return sampleSlidePath().replace(/\.tiff$/, '.label.png');
}

let pending: Promise<string> | undefined;

/** The sample slide's path, generating it first when it is not in the cache yet (a few seconds). */
export function ensureSampleSlide(): Promise<string> {
  const path = sampleSlidePath();
  if (existsSync(path)) return Promise.resolve(path);
  pending ??= generate(path).finally(() => {
    pending = undefined;
  });
  return pending;
}

async function generate(path: string): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const { width, height } = SAMPLE_SLIDE.label;
    // The label is also a sibling PNG, for readers that do not expose a TIFF's extra label directory.
    await sharp(labelImage(width, height, SAMPLE_SLIDE.seed), { raw: { width, height, channels: 3 } }).png().toFile(sampleLabelPath());
    await writeTiff(tmp, await sampleDirectories());
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  return path;
}

function levelCount(): number {
  let n = 1;
  for (let w: number = SAMPLE_SLIDE.width, h: number = SAMPLE_SLIDE.height; w > SAMPLE_SLIDE.tileSize || h > SAMPLE_SLIDE.tileSize; n++) {
    w = Math.ceil(w / 2);
    h = Math.ceil(h / 2);
  }
  return n;
}

async function sampleDirectories(): Promise<TiffDirectorySpec[]> {
  const { width, height, tileSize, mpp, jpegQuality } = SAMPLE_SLIDE;
  const levels = levelCount();
  const renderer = await SampleTileRenderer.create(TISSUE, tileSize, levels, SAMPLE_SLIDE.seed);
  const pxPerCm = Math.round(1e4 / mpp);
  const encoded = new Map<string, Promise<Buffer>>();
  const encode = (pixels: Buffer) =>
    sharp(pixels, { raw: { width: tileSize, height: tileSize, channels: 3 } }).jpeg({ quality: jpegQuality }).toBuffer();
  const directories: TiffDirectorySpec[] = [];
  for (let level = 0; level < levels; level++) {
    const w = Math.ceil(width / 2 ** level);
    const h = Math.ceil(height / 2 ** level);
    const cols = Math.ceil(w / tileSize);
    const rows = Math.ceil(h / tileSize);
    const tiles: Promise<Buffer>[] = [];
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++) {
        const { key, pixels } = renderer.render(level, col, row);
        let bytes = encoded.get(key);
        if (!bytes) {
          bytes = encode(pixels);
          encoded.set(key, bytes);
        }
        tiles.push(bytes);
      }
    }
    const tags: TiffTag[] = [
      { tag: 254, type: TiffType.LONG, value: [level === 0 ? 0 : 1] },
      { tag: 256, type: TiffType.LONG, value: [w] },
      { tag: 257, type: TiffType.LONG, value: [h] },
      { tag: 258, type: TiffType.SHORT, value: [8, 8, 8] },
      { tag: 259, type: TiffType.SHORT, value: [7] },
      { tag: 262, type: TiffType.SHORT, value: [6] },
      { tag: 277, type: TiffType.SHORT, value: [3] },
      { tag: 282, type: TiffType.RATIONAL, value: [Math.round(pxPerCm / 2 ** level), 1] },
      { tag: 283, type: TiffType.RATIONAL, value: [Math.round(pxPerCm / 2 ** level), 1] },
      { tag: 284, type: TiffType.SHORT, value: [1] },
      { tag: 296, type: TiffType.SHORT, value: [3] },
      { tag: 305, type: TiffType.ASCII, value: `Tessera sample slide generator v${SAMPLE_SLIDE.version}` },
      { tag: 322, type: TiffType.LONG, value: [tileSize] },
      { tag: 323, type: TiffType.LONG, value: [tileSize] },
      { tag: 530, type: TiffType.SHORT, value: [2, 2] },
    ];
    if (level === 0) {
      tags.push({
        tag: 270,
        type: TiffType.ASCII,
        value: `Tessera synthetic H&E sample (seed ${SAMPLE_SLIDE.seed}); ${width}x${height}; MPP = ${mpp}; AppMag = ${SAMPLE_SLIDE.objectivePower}`,
      });
    }
    directories.push({ tags, pieces: await Promise.all(tiles), offsetsTag: 324, countsTag: 325 });
  }
  const label = SAMPLE_SLIDE.label;
  directories.push({
    tags: [
      { tag: 254, type: TiffType.LONG, value: [1] },
      { tag: 256, type: TiffType.LONG, value: [label.width] },
      { tag: 257, type: TiffType.LONG, value: [label.height] },
      { tag: 258, type: TiffType.SHORT, value: [8, 8, 8] },
      { tag: 259, type: TiffType.SHORT, value: [1] },
      { tag: 262, type: TiffType.SHORT, value: [2] },
      { tag: 270, type: TiffType.ASCII, value: 'label' },
      { tag: 277, type: TiffType.SHORT, value: [3] },
      { tag: 278, type: TiffType.LONG, value: [label.height] },
      { tag: 284, type: TiffType.SHORT, value: [1] },
    ],
    pieces: [labelImage(label.width, label.height, SAMPLE_SLIDE.seed)],
    offsetsTag: 273,
    countsTag: 279,
  });
  return directories;
}
