// Colour maps for probabilities in [0, 1] (viridis, magma: perceptually uniform; jet: familiar), and
// rendering a raster region to RGBA with an optional threshold.
import type { ProbabilityRaster } from './probability-raster.js';

export type ColourMapName = 'viridis' | 'magma' | 'jet';

// Nine evenly spaced stops of each map (matplotlib's values), linearly interpolated between.
const stops: Record<ColourMapName, [number, number, number][]> = {
  viridis: [[68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141], [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37]],
  magma: [[0, 0, 4], [28, 16, 68], [79, 18, 123], [129, 37, 129], [181, 54, 122], [229, 80, 100], [251, 135, 97], [254, 194, 135], [252, 253, 191]],
  jet: [[0, 0, 128], [0, 0, 255], [0, 128, 255], [0, 255, 255], [128, 255, 128], [255, 255, 0], [255, 128, 0], [255, 0, 0], [128, 0, 0]],
}; // prettier-ignore

export const colourMapNames = Object.keys(stops) as ColourMapName[];

/** A 256-entry RGB lookup table. */
export function colourMapTable(name: ColourMapName): Uint8Array {
  const s = stops[name];
  if (!s) throw new Error(`unknown colour map ${JSON.stringify(name)} (known: ${colourMapNames.join(', ')})`);
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (s.length - 1);
    const a = Math.min(Math.floor(t), s.length - 2);
    const f = t - a;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(s[a][c] * (1 - f) + s[a + 1][c] * f);
  }
  return lut;
}

export interface RenderOptions {
  colourMap?: ColourMapName;
  /** Cells below this probability are transparent. */
  threshold?: number;
  /** Alpha of coloured cells, 0–255. */
  opacity?: number;
}

/**
 * RGBA image of the level-0 rectangle [0, width·downsample) × [0, height·downsample) sampled at
 * pixel centres: pixel (u, v) shows the cell under level-0 ((u + ½)·downsample, (v + ½)·downsample).
 */
export function renderRaster(r: ProbabilityRaster, width: number, height: number, downsample: number, options: RenderOptions = {}): Buffer {
  const lut = colourMapTable(options.colourMap ?? 'viridis');
  const threshold = options.threshold ?? 0;
  const alpha = options.opacity ?? 255;
  const out = Buffer.alloc(width * height * 4);
  const cellOfU = new Int32Array(width);
  for (let u = 0; u < width; u++) cellOfU[u] = Math.floor(((u + 0.5) * downsample) / r.cellSize);
  for (let v = 0; v < height; v++) {
    const cy = Math.floor(((v + 0.5) * downsample) / r.cellSize);
    if (cy >= r.height) continue;
    for (let u = 0; u < width; u++) {
      const cx = cellOfU[u];
      if (cx >= r.width) continue;
      const p = r.values[cy * r.width + cx];
      if (!(p >= threshold)) continue; // NaN too
      const i = Math.max(0, Math.min(255, Math.round(p * 255))) * 3;
      const o = (v * width + u) * 4;
      out[o] = lut[i];
      out[o + 1] = lut[i + 1];
      out[o + 2] = lut[i + 2];
      out[o + 3] = alpha;
    }
  }
  return out;
}
