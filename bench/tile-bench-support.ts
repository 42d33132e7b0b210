// Helpers for bench/tiles.bench.ts: the big test pyramid, seeded tile requests, and latency figures.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { openSlide } from '../main/slide/open-slide.js';
import { DeepZoomGeometry } from '../main/tiles/deepzoom-geometry.js';
import { seededRandom } from '../main/common/seeded-random.js';
import { writeMirax } from '../main/slide/testing/mirax-writer.js';

/**
 * A MIRAX slide from the test writer with 1024-px camera images (4 × 4 images, ≈ 4,064² at level 0, 3
 * levels; the test fixture's are 256 px), written once into `dir` and reused after.
 */
export async function ensureMirax(dir: string): Promise<string> {
  const name = 'mirax-1024';
  const mrxs = join(dir, `${name}.mrxs`);
  if (existsSync(mrxs)) return mrxs;
  await mkdir(dir, { recursive: true });
  return (await writeMirax(dir, name, { imageSize: 1024 })).mrxs;
}

/**
 * A 44,400 × 32,637 tiled JPEG pyramid (20 × 11 copies of CMU-1-Small-Region), written once by libvips
 * into `dir` and reused after.
 */
export async function ensureBigPyramid(svsPath: string, dir: string): Promise<string> {
  const path = join(dir, 'cmu-1-small-x220-44400x32637.tiff');
  if (existsSync(path)) return path;
  await mkdir(dir, { recursive: true });
  const slide = await openSlide(svsPath);
  const { width, height } = slide.levels[0];
  const region = await slide.readRegion(0, 0, 0, width, height);
  await slide.close();
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await sharp({ create: { width: width * 20, height: height * 11, channels: 3, background: '#ffffff' }, limitInputPixels: false })
      .composite([{ input: region.data, raw: { width, height, channels: 4 }, tile: true, gravity: 'northwest' }])
      .tiff({ compression: 'jpeg', quality: 80, tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, bigtiff: true, xres: 1000 / 0.499, yres: 1000 / 0.499 })
      .toFile(tmp);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  return path;
}

/** `count` requests: a uniformly random Deep Zoom level, then a uniformly random tile in it (seeded). */
export function tileRequests(geometry: DeepZoomGeometry, count: number, seed: number): [number, number, number][] {
  const rand = seededRandom(seed);
  const out: [number, number, number][] = [];
  for (let i = 0; i < count; i++) {
    const level = Math.floor(rand() * geometry.levelCount);
    const { cols, rows } = geometry.levelTiles[level];
    out.push([level, Math.floor(rand() * cols), Math.floor(rand() * rows)]);
  }
  return out;
}

/**
 * `count` requests as a viewer makes them: open a 1600 × 900 viewport at a random place of a random level
 * (one where the viewport does not show the whole level), then pan it three times by a third of a
 * viewport in random directions; each view asks for the tiles it shows that the viewer has not already
 * fetched (its tile cache), row by row. Repeat from a new place. Seeded.
 */
export function viewerRequests(geometry: DeepZoomGeometry, count: number, seed: number, viewport = { width: 1600, height: 900 }): [number, number, number][] {
  const rand = seededRandom(seed);
  const t = geometry.tileSize;
  const levels = geometry.levelDimensions.map((d, level) => ({ d, level })).filter(({ d }) => d.width > viewport.width || d.height > viewport.height);
  const seen = new Set<string>();
  const out: [number, number, number][] = [];
  while (out.length < count) {
    const { d, level } = levels[Math.floor(rand() * levels.length)];
    let x = Math.floor(rand() * Math.max(1, d.width - viewport.width));
    let y = Math.floor(rand() * Math.max(1, d.height - viewport.height));
    for (let view = 0; view < 4 && out.length < count; view++) {
      if (view > 0) {
        const angle = rand() * 2 * Math.PI;
        x = Math.round(Math.min(Math.max(0, x + (Math.cos(angle) * viewport.width) / 3), Math.max(0, d.width - viewport.width)));
        y = Math.round(Math.min(Math.max(0, y + (Math.sin(angle) * viewport.height) / 3), Math.max(0, d.height - viewport.height)));
      }
      const { cols, rows } = geometry.levelTiles[level];
      for (let row = Math.floor(y / t); row <= Math.min(rows - 1, Math.floor((y + viewport.height - 1) / t)); row++) {
        for (let col = Math.floor(x / t); col <= Math.min(cols - 1, Math.floor((x + viewport.width - 1) / t)); col++) {
          const key = `${level}/${col}/${row}`;
          if (seen.has(key) || out.length >= count) continue;
          seen.add(key);
          out.push([level, col, row]);
        }
      }
    }
  }
  return out;
}

export interface RunFigures {
  wallSeconds: number;
  timesMs: number[];
  /** CPU time (user + system, all threads) of the timed requests. */
  cpuMs?: number;
  peakRssMb: number;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summary(r: RunFigures): { tilesPerSecond: number; p50: number; p99: number; peakRssMb: number } {
  const sorted = [...r.timesMs].sort((a, b) => a - b);
  return { tilesPerSecond: r.timesMs.length / r.wallSeconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), peakRssMb: r.peakRssMb };
}
