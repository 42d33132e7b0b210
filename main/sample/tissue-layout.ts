// Where the sample slide has tissue and tumour: seeded star-shaped blobs in level-0 pixels. Pixels follow
// signed-distance fields sampled on a grid (cheap per pixel, and a whole tile can be classified from the
// grid nodes alone); the ground-truth polygons trace the same blob outlines.
import { seededRandom, type Random } from '../common/seeded-random.js';

export interface StarBlob {
  cx: number;
  cy: number;
  radius: number;
  /** Radius wobble: r(θ) = radius · (1 + Σ amp·sin(k·θ + phase)). */
  harmonics: { k: number; amp: number; phase: number }[];
}

export interface TumourRegion {
  id: string;
  /** Closed outline in level-0 pixels (first vertex not repeated). */
  polygon: [number, number][];
}

export const GRID_STEP = 32;

export function blobRadius(blob: StarBlob, theta: number): number {
  let f = 1;
  for (const h of blob.harmonics) f += h.amp * Math.sin(h.k * theta + h.phase);
  return blob.radius * f;
}

/** Positive inside, about the distance to the outline in pixels near it. */
export function blobField(blob: StarBlob, x: number, y: number): number {
  const dx = x - blob.cx;
  const dy = y - blob.cy;
  return blobRadius(blob, Math.atan2(dy, dx)) - Math.hypot(dx, dy);
}

function star(rand: Random, cx: number, cy: number, radius: number): StarBlob {
  const harmonics = [2, 3, 5, 7].map((k, i) => ({ k, amp: [0.08, 0.06, 0.035, 0.02][i] * (0.6 + 0.8 * rand()), phase: rand() * 2 * Math.PI }));
  return { cx, cy, radius, harmonics };
}

/** A field sampled every GRID_STEP pixels, bilinear in between. */
export class FieldGrid {
  readonly cols: number;
  readonly rows: number;
  readonly values: Float32Array;

  constructor(width: number, height: number, blobs: readonly StarBlob[]) {
    this.cols = Math.ceil(width / GRID_STEP) + 2;
    this.rows = Math.ceil(height / GRID_STEP) + 2;
    this.values = new Float32Array(this.cols * this.rows);
    for (let j = 0; j < this.rows; j++) {
      for (let i = 0; i < this.cols; i++) {
        let v = -1e9;
        for (const b of blobs) v = Math.max(v, blobField(b, i * GRID_STEP, j * GRID_STEP));
        this.values[j * this.cols + i] = v;
      }
    }
  }

  at(x: number, y: number): number {
    const gx = Math.min(Math.max(x / GRID_STEP, 0), this.cols - 1.001);
    const gy = Math.min(Math.max(y / GRID_STEP, 0), this.rows - 1.001);
    const i = Math.floor(gx);
    const j = Math.floor(gy);
    const fx = gx - i;
    const fy = gy - j;
    const o = j * this.cols + i;
    const v = this.values;
    return (v[o] * (1 - fx) + v[o + 1] * fx) * (1 - fy) + (v[o + this.cols] * (1 - fx) + v[o + this.cols + 1] * fx) * fy;
  }

  /** Smallest and largest value over the level-0 rectangle (exact for the bilinear field). */
  range(x0: number, y0: number, x1: number, y1: number): [number, number] {
    const i0 = Math.max(0, Math.floor(x0 / GRID_STEP));
    const j0 = Math.max(0, Math.floor(y0 / GRID_STEP));
    const i1 = Math.min(this.cols - 1, Math.ceil(x1 / GRID_STEP));
    const j1 = Math.min(this.rows - 1, Math.ceil(y1 / GRID_STEP));
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = j0; j <= j1; j++) {
      for (let i = i0; i <= i1; i++) {
        const v = this.values[j * this.cols + i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    return [lo, hi];
  }
}

export interface TissueLayout {
  width: number;
  height: number;
  tissue: StarBlob[];
  tumour: StarBlob[];
}

/** Three tissue fragments with tumour foci inside, scaled to the slide. */
export function tissueLayout(width: number, height: number, seed: number): TissueLayout {
  const rand = seededRandom(seed);
  const u = Math.min(width, height);
  const tissue = [
    star(rand, width * 0.27, height * 0.45, u * 0.3),
    star(rand, width * 0.66, height * 0.36, u * 0.27),
    star(rand, width * 0.62, height * 0.76, u * 0.18),
  ];
  const tumour = [
    star(rand, width * 0.22, height * 0.38, u * 0.09),
    star(rand, width * 0.32, height * 0.56, u * 0.06),
    star(rand, width * 0.7, height * 0.33, u * 0.1),
    star(rand, width * 0.6, height * 0.78, u * 0.055),
  ];
  return { width, height, tissue, tumour };
}

export function blobPolygon(blob: StarBlob, vertices = 256): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < vertices; i++) {
    const theta = (i / vertices) * 2 * Math.PI;
    const r = blobRadius(blob, theta);
    out.push([Math.round((blob.cx + r * Math.cos(theta)) * 10) / 10, Math.round((blob.cy + r * Math.sin(theta)) * 10) / 10]);
  }
  return out;
}
