// Per-patch probabilities → the compact raster the renderer's heatmap layer draws: one byte per grid cell,
// the tissue mask over the same bounds (nothing is drawn on glass), and what the heatmap comes from.
import type { HeatmapProvenance, HeatmapRaster, LevelRect } from '../contracts/analysis.js';
import type { TissueMask } from '../encoder/tissue-mask.js';
import type { PatchProbabilities } from '../probe/apply-probe.js';
import { ApiError } from './api-error.js';

export const UNSCORED = 255;
export const LEVELS = 250;
/** Tissue-mask pixels per cell side sent with a raster (at most; never finer than the mask itself). */
const TISSUE_PER_CELL = 4;

export interface HeatmapRasterExtras {
  probe: HeatmapProvenance;
  assumptions?: string[];
  tissue?: TissueMask;
}

/** Cells of the grid over `rect` (default: the whole slide), with class `className`'s probability. */
export function heatmapRaster(
  p: PatchProbabilities,
  className: string,
  slide: { id: string; width: number; height: number },
  extras: HeatmapRasterExtras,
  rect?: LevelRect,
): HeatmapRaster {
  const k = p.classNames.indexOf(className);
  if (k < 0)
    throw new ApiError('invalid-argument', `The probe has no class "${className}" (it has ${p.classNames.join(', ')})`);
  const s = p.level0Stride ?? p.level0Size;
  const offset = (p.level0Size - s) / 2;
  const r = rect ?? { x: 0, y: 0, width: slide.width, height: slide.height };
  const col0 = Math.max(0, Math.floor((r.x - offset) / s));
  const row0 = Math.max(0, Math.floor((r.y - offset) / s));
  const cols = Math.max(0, Math.min(Math.ceil((slide.width - offset) / s), Math.ceil((r.x + r.width - offset) / s)) - col0);
  const rows = Math.max(0, Math.min(Math.ceil((slide.height - offset) / s), Math.ceil((r.y + r.height - offset) / s)) - row0);
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
  const bounds = { x: offset + col0 * s, y: offset + row0 * s, width: cols * s, height: rows * s };
  return {
    slideId: slide.id,
    probeId: extras.probe.probeId,
    className,
    classNames: p.classNames,
    cellSize: s,
    cellOffset: offset,
    patchSize: p.level0Size,
    mpp: p.mpp,
    col0,
    row0,
    cols,
    rows,
    scored,
    values: base64(values),
    probe: extras.probe,
    assumptions: extras.assumptions ?? [],
    tissue: extras.tissue && cols > 0 && rows > 0 ? tissueRaster(extras.tissue, bounds, s) : null,
  };
}

/** The mask over level-0 `bounds`, in pixels of max(mask pixel, cell / TISSUE_PER_CELL); 1 where a pixel is mostly tissue. */
export function tissueMaskBytes(
  mask: TissueMask,
  bounds: LevelRect,
  cell: number,
): { x: number; y: number; downsample: number; width: number; height: number; values: Uint8Array } {
  const d = Math.max(mask.downsample, cell / TISSUE_PER_CELL);
  const width = Math.max(1, Math.ceil(bounds.width / d));
  const height = Math.max(1, Math.ceil(bounds.height / d));
  const out = new Uint8Array(width * height);
  for (let v = 0; v < height; v++)
    for (let u = 0; u < width; u++)
      out[v * width + u] = mask.tissueFraction(bounds.x + u * d, bounds.y + v * d, d, d) >= 0.5 ? 1 : 0;
  return { x: bounds.x, y: bounds.y, downsample: d, width, height, values: out };
}

function tissueRaster(mask: TissueMask, bounds: LevelRect, cell: number): NonNullable<HeatmapRaster['tissue']> {
  const t = tissueMaskBytes(mask, bounds, cell);
  return { ...t, values: base64(t.values) };
}

const base64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
