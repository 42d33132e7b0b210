// Helpers for bench/tiles.bench.ts: the big test pyramid, seeded tile requests, and latency figures.
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { openSlide } from '../main/slide/open-slide.js';
import { DeepZoomGeometry } from '../main/tiles/deepzoom-geometry.js';
import { seededRandom } from '../main/sample/seeded-random.js';

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

export interface RunFigures {
  wallSeconds: number;
  timesMs: number[];
  peakRssMb: number;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summary(r: RunFigures): { tilesPerSecond: number; p50: number; p99: number; peakRssMb: number } {
  const sorted = [...r.timesMs].sort((a, b) => a - b);
  return { tilesPerSecond: r.timesMs.length / r.wallSeconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99), peakRssMb: r.peakRssMb };
}
