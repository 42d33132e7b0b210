// One feature row per patch from one or several magnifications of the same slide and encoder.
// Several magnifications are concatenated on the finest grid: each finest patch gets its own features
// followed by those of the coarser patch (at each other magnification) whose centre is nearest its centre
// (the one containing it, on a non-overlapping grid).
import type { EmbeddingSet } from '../contracts/embeddings.js';
import { gridStep } from '../common/grid-step.js';

export interface AssembledFeatures {
  slideFingerprint: string;
  modelId: string;
  /** µm/px of each block of the row, finest first. */
  magnifications: number[];
  /** The finest grid's patch side in level-0 px. */
  level0Size: number;
  /** The finest grid's distance between patch origins in level-0 px (= level0Size without overlap). */
  level0Stride: number;
  n: number;
  dim: number;
  /** [n·2] top-left level-0 px of the finest-grid patches kept. */
  coords: Int32Array;
  features: Float32Array;
  /** Finest patches dropped because a coarser grid has no patch around their centre. */
  dropped: number;
}

export function assembleFeatures(sets: readonly EmbeddingSet[]): AssembledFeatures {
  if (sets.length === 0) throw new Error('no embeddings to assemble');
  const sorted = [...sets].sort((a, b) => a.grid.mpp - b.grid.mpp);
  const finest = sorted[0];
  for (const s of sorted) {
    if (s.slideFingerprint !== finest.slideFingerprint) throw new Error(`embeddings of different slides (${finest.slideFingerprint}, ${s.slideFingerprint}) cannot be concatenated`);
    if (s.modelId !== finest.modelId) throw new Error(`embeddings of different encoders (${finest.modelId}, ${s.modelId}) cannot be concatenated`);
    if (s.features.length !== (s.coords.length / 2) * s.dim) throw new Error(`embeddings at ${s.grid.mpp} µm/px: ${s.features.length} values for ${s.coords.length / 2} patches of ${s.dim}`);
  }
  const mpps = sorted.map((s) => s.grid.mpp);
  if (new Set(mpps).size !== mpps.length) throw new Error(`two embedding sets share a magnification (${mpps.join(', ')} µm/px)`);
  const n0 = finest.coords.length / 2;
  const dim = sorted.reduce((s, e) => s + e.dim, 0);
  if (sorted.length === 1) {
    return { slideFingerprint: finest.slideFingerprint, modelId: finest.modelId, magnifications: mpps, level0Size: finest.grid.level0Size, level0Stride: gridStep(finest.grid), n: n0, dim, coords: finest.coords, features: finest.features, dropped: 0 };
  }
  const lookups = sorted.slice(1).map(gridLookup);
  const rows: number[][] = [];
  const kept: number[] = [];
  const half = finest.grid.level0Size / 2;
  for (let i = 0; i < n0; i++) {
    const cx = finest.coords[2 * i] + half;
    const cy = finest.coords[2 * i + 1] + half;
    const r = lookups.map((find) => find(cx, cy));
    if (r.every((v) => v >= 0)) {
      kept.push(i);
      rows.push(r);
    }
  }
  const n = kept.length;
  const coords = new Int32Array(2 * n);
  const features = new Float32Array(n * dim);
  for (let k = 0; k < n; k++) {
    const i = kept[k];
    coords[2 * k] = finest.coords[2 * i];
    coords[2 * k + 1] = finest.coords[2 * i + 1];
    let offset = k * dim;
    features.set(finest.features.subarray(i * finest.dim, (i + 1) * finest.dim), offset);
    offset += finest.dim;
    sorted.slice(1).forEach((s, m) => {
      const row = rows[k][m];
      features.set(s.features.subarray(row * s.dim, (row + 1) * s.dim), offset);
      offset += s.dim;
    });
  }
  return { slideFingerprint: finest.slideFingerprint, modelId: finest.modelId, magnifications: mpps, level0Size: finest.grid.level0Size, level0Stride: gridStep(finest.grid), n, dim, coords, features, dropped: n0 - n };
}

/** Row of the patch of `set` whose centre is nearest level-0 point (x, y) (it covers the point), or -1. */
function gridLookup(set: EmbeddingSet): (x: number, y: number) => number {
  const s = set.grid.level0Size;
  const t = gridStep(set.grid);
  const byCell = new Map<string, number>();
  for (let i = 0; i < set.coords.length / 2; i++) byCell.set(`${Math.round(set.coords[2 * i] / t)},${Math.round(set.coords[2 * i + 1] / t)}`, i);
  const cell = (v: number) => (t === s ? Math.floor(v / s) : Math.round((v - s / 2) / t));
  return (x, y) => byCell.get(`${cell(x)},${cell(y)}`) ?? -1;
}
