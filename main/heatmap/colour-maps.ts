// Colour maps for probabilities in [0, 1] (viridis, magma: perceptually uniform; jet: familiar), and
// rendering a raster region to RGBA with an optional threshold.
import type { TissueMask } from '../encoder/tissue-mask.js';
import { onTissue, rasterSmoothAt, rasterValueAt, type ProbabilityRaster } from './probability-raster.js';

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
  /** Bilinear between patch centres (default true); false draws one flat block per patch ("show patches"). */
  smooth?: boolean;
  /** Alpha ramps up from the threshold (`opacityRamp`), so low values are transparent (default true). */
  ramp?: boolean;
  /** Only tissue is coloured: glass stays transparent. */
  tissue?: TissueMask;
}

/**
 * How opaque a probability is drawn (0–1) with the opacity ramp: 0 at and below the threshold, rising
 * linearly to full over half of what lies above it (at 0.5 for threshold 0), as CLAM/SlideFlow heatmaps look.
 */
export function opacityRamp(p: number, threshold = 0): number {
  const width = Math.max(0.05, (1 - threshold) / 2);
  return Math.min(1, Math.max(0, (p - threshold) / width));
}

/**
 * RGBA image of the level-0 rectangle [0, width·downsample) × [0, height·downsample) sampled at
 * pixel centres: pixel (u, v) shows the raster at level-0 ((u + ½)·downsample, (v + ½)·downsample).
 */
export function renderRaster(r: ProbabilityRaster, width: number, height: number, downsample: number, options: RenderOptions = {}): Buffer {
  const lut = colourMapTable(options.colourMap ?? 'viridis');
  const threshold = options.threshold ?? 0;
  const alpha = options.opacity ?? 255;
  const smooth = options.smooth ?? true;
  const ramp = options.ramp ?? true;
  const out = Buffer.alloc(width * height * 4);
  for (let v = 0; v < height; v++) {
    const y = (v + 0.5) * downsample;
    for (let u = 0; u < width; u++) {
      const x = (u + 0.5) * downsample;
      if (!onTissue(options.tissue, x, y)) continue;
      const p = smooth ? rasterSmoothAt(r, x, y) : rasterValueAt(r, x, y);
      if (!(p >= threshold)) continue; // NaN too
      const a = ramp ? Math.round(alpha * opacityRamp(p, threshold)) : alpha;
      if (a === 0) continue;
      const i = Math.max(0, Math.min(255, Math.round(p * 255))) * 3;
      const o = (v * width + u) * 4;
      out[o] = lut[i];
      out[o + 1] = lut[i + 1];
      out[o + 2] = lut[i + 2];
      out[o + 3] = a;
    }
  }
  return out;
}
