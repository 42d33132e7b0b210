// Rendering a raster region to RGBA with a colour map (the one list: main/common/colour-maps.ts) and an
// optional threshold.
import type { TissueMask } from '../encoder/tissue-mask.js';
import { colourMapTable, defaultColourMap, opacityRamp, type ColourMapName } from '../common/colour-maps.js';
import { onTissue, rasterSmoothAt, rasterValueAt, type ProbabilityRaster } from './probability-raster.js';

export { colourMapNames, colourMapTable, defaultColourMap, isColourMapName, opacityRamp, type ColourMapName } from '../common/colour-maps.js';

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
 * RGBA image of the level-0 rectangle [0, width·downsample) × [0, height·downsample) sampled at
 * pixel centres: pixel (u, v) shows the raster at level-0 ((u + ½)·downsample, (v + ½)·downsample).
 */
export function renderRaster(r: ProbabilityRaster, width: number, height: number, downsample: number, options: RenderOptions = {}): Buffer {
  const lut = colourMapTable(options.colourMap ?? defaultColourMap);
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
