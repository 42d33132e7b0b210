// Per-patch probabilities → the compact raster the renderer's heatmap layer draws: one byte per grid cell.
import type { HeatmapRaster, LevelRect } from '../contracts/analysis.js';
import type { PatchProbabilities } from '../probe/apply-probe.js';
import { ApiError } from './api-error.js';

export const UNSCORED = 255;
export const LEVELS = 250;

/** Cells of the grid over `rect` (default: the whole slide), with class `className`'s probability. */
export function heatmapRaster(
  p: PatchProbabilities,
  className: string,
  slide: { id: string; width: number; height: number },
  probeId: string,
  rect?: LevelRect,
): HeatmapRaster {
  const k = p.classNames.indexOf(className);
  if (k < 0)
    throw new ApiError('invalid-argument', `The probe has no class "${className}" (it has ${p.classNames.join(', ')})`);
  const s = p.level0Size;
  const r = rect ?? { x: 0, y: 0, width: slide.width, height: slide.height };
  const col0 = Math.max(0, Math.floor(r.x / s));
  const row0 = Math.max(0, Math.floor(r.y / s));
  const cols = Math.max(0, Math.min(Math.ceil(slide.width / s), Math.ceil((r.x + r.width) / s)) - col0);
  const rows = Math.max(0, Math.min(Math.ceil(slide.height / s), Math.ceil((r.y + r.height) / s)) - row0);
  const values = new Uint8Array(cols * rows).fill(UNSCORED);
  const K = p.classNames.length;
  let scored = 0;
  for (let i = 0; i < p.n; i++) {
    const c = Math.round(p.coords[2 * i] / s) - col0;
    const q = Math.round(p.coords[2 * i + 1] / s) - row0;
    if (c < 0 || q < 0 || c >= cols || q >= rows) continue;
    const v = p.probabilities[i * K + k];
    if (!Number.isFinite(v)) continue;
    if (values[q * cols + c] === UNSCORED) scored++;
    values[q * cols + c] = Math.round(Math.min(1, Math.max(0, v)) * LEVELS);
  }
  return {
    slideId: slide.id,
    probeId,
    className,
    classNames: p.classNames,
    cellSize: s,
    mpp: p.mpp,
    col0,
    row0,
    cols,
    rows,
    scored,
    values: Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64'),
  };
}
