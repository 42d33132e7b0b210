// Where the tissue is, from a low-resolution view: colour saturation (glass is grey-white, stained tissue is
// coloured), median-smoothed, thresholded by Otsu's method (as CLAM and TRIDENT do). Patches mostly on glass
// never reach the encoder.
import sharp from 'sharp';
import type { SlideReader } from '../slide/slide-reader.js';

/** Mask pixels are about this many level-0 pixels wide (≈ 8 µm at 0.5 µm/px). */
const targetDownsample = 16;
/** Saturation below this is never tissue, whatever Otsu says (an all-glass view has no real threshold). */
const minSaturation = 20;

export class TissueMask {
  /** Summed-area table of the mask, (width+1) × (height+1). */
  private readonly integral: Float64Array;

  constructor(
    readonly width: number,
    readonly height: number,
    /** Level-0 pixels per mask pixel. */
    readonly downsample: number,
    /** 1 = tissue, row-major. */
    readonly data: Uint8Array,
    readonly threshold: number,
  ) {
    const W = width + 1;
    this.integral = new Float64Array(W * (height + 1));
    for (let y = 0; y < height; y++) {
      let row = 0;
      for (let x = 0; x < width; x++) {
        row += data[y * width + x];
        this.integral[(y + 1) * W + x + 1] = this.integral[y * W + x + 1] + row;
      }
    }
  }

  /** Fraction (0–1) of a level-0 rectangle that is tissue; area outside the slide counts as glass. */
  tissueFraction(x: number, y: number, w: number, h: number): number {
    const d = this.downsample;
    const fx0 = x / d;
    const fy0 = y / d;
    const fx1 = (x + w) / d;
    const fy1 = (y + h) / d;
    const area = (fx1 - fx0) * (fy1 - fy0);
    if (area <= 0) return 0;
    const x0 = Math.max(0, Math.min(this.width, Math.round(fx0)));
    const y0 = Math.max(0, Math.min(this.height, Math.round(fy0)));
    const x1 = Math.max(x0, Math.min(this.width, Math.round(fx1)));
    const y1 = Math.max(y0, Math.min(this.height, Math.round(fy1)));
    if (x1 === x0 || y1 === y0) return 0;
    const W = this.width + 1;
    const I = this.integral;
    const sum = I[y1 * W + x1] - I[y0 * W + x1] - I[y1 * W + x0] + I[y0 * W + x0];
    return sum / Math.max((x1 - x0) * (y1 - y0), area * 0.5);
  }

  /** Whether a patch has at least `minFraction` tissue (default 5%: fragments at the edge count). */
  isTissue(x: number, y: number, size: number, minFraction = 0.05): boolean {
    return this.tissueFraction(x, y, size, size) >= minFraction;
  }
}

/** Otsu's threshold on a 256-bin histogram: the level maximising between-class variance. */
export function otsuThreshold(hist: ArrayLike<number>): number {
  let total = 0;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) {
    total += hist[i];
    sumAll += i * hist[i];
  }
  let wB = 0;
  let sumB = 0;
  let best = 0;
  let bestVar = -1;
  for (let t = 0; t < 256; t++) {
    wB += hist[t];
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t];
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const v = wB * wF * (mB - mF) ** 2;
    if (v > bestVar) {
      bestVar = v;
      best = t;
    }
  }
  return best + 1; // tissue is ≥ threshold
}

/** Builds the tissue mask of a slide from its coarsest level that is still at least as fine as the mask. */
export async function detectTissue(reader: SlideReader): Promise<TissueMask> {
  const l0 = reader.levels[0];
  let level = 0;
  reader.levels.forEach((l, i) => {
    if (l.downsample <= targetDownsample && l.downsample > reader.levels[level].downsample) level = i;
  });
  const src = reader.levels[level];
  const width = Math.max(1, Math.ceil(l0.width / targetDownsample));
  const height = Math.max(1, Math.ceil(l0.height / targetDownsample));
  const region = await reader.readRegion(level, 0, 0, src.width, src.height);
  // Downsample to the mask grid, over white (transparent = outside the image = glass).
  const rgb = await sharp(region.data, { raw: { width: region.width, height: region.height, channels: region.channels } })
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
  const sat = Buffer.alloc(width * height);
  for (let p = 0, i = 0; p < sat.length; p++, i += 3) {
    const r = rgb[i];
    const g = rgb[i + 1];
    const b = rgb[i + 2];
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    sat[p] = max === 0 ? 0 : Math.round((255 * (max - min)) / max);
  }
  const smooth = await sharp(sat, { raw: { width, height, channels: 1 } }).median(5).toColourspace('b-w').raw().toBuffer();
  const hist = new Float64Array(256);
  for (const v of smooth) hist[v]++;
  const threshold = Math.max(minSaturation, otsuThreshold(hist));
  const data = new Uint8Array(width * height);
  for (let p = 0; p < data.length; p++) data[p] = smooth[p] >= threshold ? 1 : 0;
  return new TissueMask(width, height, l0.width / width, data, threshold);
}
