// Per-patch probabilities laid out as a raster on the patch grid: one cell per patch, cell (0,0) at the
// slide origin, cell (i, j) covering level-0 [i·s, (i+1)·s) × [j·s, (j+1)·s). Cells without a patch are NaN.
import type { PatchProbabilities } from '../probe/apply-probe.js';

export interface ProbabilityRaster {
  className: string;
  width: number;
  height: number;
  /** Cell side in level-0 px. */
  cellSize: number;
  /** [height·width] row-major, NaN where no patch was scored. */
  values: Float32Array;
}

/** `slideSize` (level-0 px) sizes the raster to cover the whole slide; otherwise it ends at the last patch. */
export function probabilityRaster(p: PatchProbabilities, className: string, slideSize?: { width: number; height: number }): ProbabilityRaster {
  const k = p.classNames.indexOf(className);
  if (k < 0) throw new Error(`the probe has no class ${JSON.stringify(className)} (it has ${p.classNames.join(', ')})`);
  const K = p.classNames.length;
  const s = p.level0Size;
  let width = slideSize ? Math.ceil(slideSize.width / s) : 0;
  let height = slideSize ? Math.ceil(slideSize.height / s) : 0;
  if (!slideSize) {
    for (let i = 0; i < p.n; i++) {
      width = Math.max(width, Math.round(p.coords[2 * i] / s) + 1);
      height = Math.max(height, Math.round(p.coords[2 * i + 1] / s) + 1);
    }
  }
  const values = new Float32Array(width * height).fill(NaN);
  for (let i = 0; i < p.n; i++) {
    const cx = Math.round(p.coords[2 * i] / s);
    const cy = Math.round(p.coords[2 * i + 1] / s);
    if (cx >= 0 && cy >= 0 && cx < width && cy < height) values[cy * width + cx] = p.probabilities[i * K + k];
  }
  return { className, width, height, cellSize: s, values };
}

/** The raster value under level-0 point (x, y), NaN outside or where unscored. */
export function rasterValueAt(r: ProbabilityRaster, x: number, y: number): number {
  const cx = Math.floor(x / r.cellSize);
  const cy = Math.floor(y / r.cellSize);
  return cx >= 0 && cy >= 0 && cx < r.width && cy < r.height ? r.values[cy * r.width + cx] : NaN;
}
