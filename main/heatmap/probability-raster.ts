// Per-patch probabilities laid out as a raster on the patch grid: one cell per patch, centred on the patch's
// centre. With patches every t level-0 px (the grid's stride; t = s, the patch side, without overlap), cell
// (i, j) covers level-0 [offset + i·t, offset + (i+1)·t) × (same in y), offset = (s − t) / 2, so cell 0 is
// the patch at the slide origin. Cells without a patch are NaN.
// Drawn and exported heatmaps sample it smoothly (bilinear between patch centres) and only on tissue.
import type { TissueMask } from '../encoder/tissue-mask.js';
import type { PatchProbabilities } from '../probe/apply-probe.js';

export interface ProbabilityRaster {
  className: string;
  width: number;
  height: number;
  /** Cell side in level-0 px (the grid's stride). */
  cellSize: number;
  /** Level-0 px where cell column (and row) 0 starts: cell centres are patch centres. 0 without overlap. */
  offset: number;
  /** [height·width] row-major, NaN where no patch was scored. */
  values: Float32Array;
}

/** `slideSize` (level-0 px) sizes the raster to cover the whole slide; otherwise it ends at the last patch. */
export function probabilityRaster(p: PatchProbabilities, className: string, slideSize?: { width: number; height: number }): ProbabilityRaster {
  const k = p.classNames.indexOf(className);
  if (k < 0) throw new Error(`the probe has no class ${JSON.stringify(className)} (it has ${p.classNames.join(', ')})`);
  const K = p.classNames.length;
  const s = p.level0Size;
  const t = p.level0Stride ?? s;
  const offset = (s - t) / 2;
  let width = slideSize ? Math.max(0, Math.ceil((slideSize.width - offset) / t)) : 0;
  let height = slideSize ? Math.max(0, Math.ceil((slideSize.height - offset) / t)) : 0;
  if (!slideSize) {
    for (let i = 0; i < p.n; i++) {
      width = Math.max(width, Math.round(p.coords[2 * i] / t) + 1);
      height = Math.max(height, Math.round(p.coords[2 * i + 1] / t) + 1);
    }
  }
  const values = new Float32Array(width * height).fill(NaN);
  for (let i = 0; i < p.n; i++) {
    const cx = Math.round(p.coords[2 * i] / t);
    const cy = Math.round(p.coords[2 * i + 1] / t);
    if (cx >= 0 && cy >= 0 && cx < width && cy < height) values[cy * width + cx] = p.probabilities[i * K + k];
  }
  return { className, width, height, cellSize: t, offset, values };
}

/** The raster value under level-0 point (x, y) (its cell, no smoothing), NaN outside or where unscored. */
export function rasterValueAt(r: ProbabilityRaster, x: number, y: number): number {
  const cx = Math.floor((x - r.offset) / r.cellSize);
  const cy = Math.floor((y - r.offset) / r.cellSize);
  return cx >= 0 && cy >= 0 && cx < r.width && cy < r.height ? r.values[cy * r.width + cx] : NaN;
}

/**
 * The smooth value at level-0 point (x, y): bilinear between the four nearest patch centres, over the
 * scored ones among them. NaN where the point's own cell is unscored (nothing is extrapolated into
 * unembedded tissue or glass).
 */
export function rasterSmoothAt(r: ProbabilityRaster, x: number, y: number): number {
  const gx = (x - r.offset) / r.cellSize - 0.5;
  const gy = (y - r.offset) / r.cellSize - 0.5;
  const own = rasterValueAt(r, x, y);
  if (Number.isNaN(own)) return NaN;
  const i0 = Math.floor(gx);
  const j0 = Math.floor(gy);
  const fx = gx - i0;
  const fy = gy - j0;
  let sum = 0;
  let weight = 0;
  for (let dj = 0; dj <= 1; dj++) {
    const j = j0 + dj;
    if (j < 0 || j >= r.height) continue;
    const wy = dj ? fy : 1 - fy;
    for (let di = 0; di <= 1; di++) {
      const i = i0 + di;
      if (i < 0 || i >= r.width) continue;
      const v = r.values[j * r.width + i];
      if (Number.isNaN(v)) continue;
      const w = wy * (di ? fx : 1 - fx);
      sum += w * v;
      weight += w;
    }
  }
  return weight > 0 ? sum / weight : own;
}

/** Whether level-0 point (x, y) is on tissue (undefined mask: everywhere). */
export function onTissue(mask: TissueMask | undefined, x: number, y: number): boolean {
  if (!mask) return true;
  const u = Math.floor(x / mask.downsample);
  const v = Math.floor(y / mask.downsample);
  return u >= 0 && v >= 0 && u < mask.width && v < mask.height && mask.data[v * mask.width + u] === 1;
}

/** Most cells `refineRaster` makes. */
const maxRefinedCells = 64_000_000;

/**
 * The raster `factor`× finer (same origin, cells subdividing the patch cells), sampled smoothly between patch
 * centres (`rasterSmoothAt`) and NaN off tissue: what exports outline and the display shows, at a resolution
 * contours can follow.
 */
export function refineRaster(r: ProbabilityRaster, factor: number, tissue?: TissueMask): ProbabilityRaster {
  let f = Math.max(1, Math.round(factor));
  while (f > 1 && r.width * r.height * f * f > maxRefinedCells) f--;
  const width = r.width * f;
  const height = r.height * f;
  const cell = r.cellSize / f;
  const values = new Float32Array(width * height);
  for (let v = 0; v < height; v++) {
    const y = r.offset + (v + 0.5) * cell;
    for (let u = 0; u < width; u++) {
      const x = r.offset + (u + 0.5) * cell;
      values[v * width + u] = onTissue(tissue, x, y) ? rasterSmoothAt(r, x, y) : NaN;
    }
  }
  return { className: r.className, width, height, cellSize: cell, offset: r.offset, values };
}
