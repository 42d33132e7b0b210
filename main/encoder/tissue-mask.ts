// Where the tissue is, from a low-resolution view: colour saturation (glass is grey-white, stained tissue is
// coloured), median-smoothed, thresholded by Otsu's method (as CLAM and TRIDENT do). Patches mostly on glass
// never reach the encoder.
import sharp from 'sharp';
import type { SlideReader } from '../slide/slide-reader.js';

/** Mask pixels are about this many level-0 pixels wide (≈ 8 µm at 0.5 µm/px). */
const targetDownsample = 16;
/** Side of the blocks of the mask's summed-area table, in mask pixels. */
const BLOCK = 4;
/** Saturation below this is never tissue, whatever Otsu says (an all-glass view has no real threshold). */
const minSaturation = 20;

export class TissueMask {
  /**
   * Summed-area table of the mask over blocks of BLOCK × BLOCK mask pixels, (blocksAcross+1) × (blocksDown+1):
   * 1/16 of a per-pixel table (a per-pixel Float64 one was 250 MB on a 100,000 × 80,000 slide, more than the
   * mask itself; this is 8 MB). A rectangle's count is its whole blocks from the table plus the pixels of its
   * partial blocks (under BLOCK px wide strips at its edges) counted directly: exact, as the per-pixel table.
   */
  private readonly blocks: Uint32Array;
  private readonly blocksAcross: number;

  constructor(
    readonly width: number,
    readonly height: number,
    /** Level-0 pixels per mask pixel. */
    readonly downsample: number,
    /** 1 = tissue, row-major. */
    readonly data: Uint8Array,
    readonly threshold: number,
  ) {
    const bw = Math.ceil(width / BLOCK);
    const bh = Math.ceil(height / BLOCK);
    const W = bw + 1;
    this.blocksAcross = bw;
    this.blocks = new Uint32Array(W * (bh + 1));
    const counts = new Uint32Array(bw);
    for (let by = 0; by < bh; by++) {
      counts.fill(0);
      for (let y = by * BLOCK; y < Math.min(height, (by + 1) * BLOCK); y++) {
        for (let x = 0; x < width; x++) counts[(x / BLOCK) | 0] += data[y * width + x];
      }
      let row = 0;
      for (let bx = 0; bx < bw; bx++) {
        row += counts[bx];
        this.blocks[(by + 1) * W + bx + 1] = this.blocks[by * W + bx + 1] + row;
      }
    }
  }

  /** Tissue pixels in mask pixels [x0, x1) × [y0, y1) (inside the mask). */
  private count(x0: number, y0: number, x1: number, y1: number): number {
    // Whole blocks inside the rectangle (the mask's last, smaller, block counts as whole where the rectangle reaches the edge).
    const bx0 = Math.ceil(x0 / BLOCK);
    const by0 = Math.ceil(y0 / BLOCK);
    const bx1 = Math.max(bx0, x1 === this.width ? Math.ceil(x1 / BLOCK) : Math.floor(x1 / BLOCK));
    const by1 = Math.max(by0, y1 === this.height ? Math.ceil(y1 / BLOCK) : Math.floor(y1 / BLOCK));
    const ix0 = Math.min(bx0 * BLOCK, x1);
    const iy0 = Math.min(by0 * BLOCK, y1);
    const ix1 = Math.max(ix0, Math.min(bx1 * BLOCK, x1));
    const iy1 = Math.max(iy0, Math.min(by1 * BLOCK, y1));
    let sum = 0;
    if (ix1 > ix0 && iy1 > iy0) {
      const W = this.blocksAcross + 1;
      const B = this.blocks;
      sum = B[by1 * W + bx1] - B[by0 * W + bx1] - B[by1 * W + bx0] + B[by0 * W + bx0];
    }
    // The partial strips around the inner rectangle: above and below it full width, left and right of it.
    sum += this.direct(x0, y0, x1, iy0) + this.direct(x0, iy1, x1, y1) + this.direct(x0, iy0, ix0, iy1) + this.direct(ix1, iy0, x1, iy1);
    return sum;
  }

  private direct(x0: number, y0: number, x1: number, y1: number): number {
    let sum = 0;
    for (let y = y0; y < y1; y++) for (let i = y * this.width + x0, end = y * this.width + x1; i < end; i++) sum += this.data[i];
    return sum;
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
    return this.count(x0, y0, x1, y1) / Math.max((x1 - x0) * (y1 - y0), area * 0.5);
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
  const rgb = await maskGridRgb(reader, level, src, width, height);
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

/**
 * The level's pixels downsampled to the mask grid, over white (transparent = outside the image = glass).
 * Its own function so the whole-level region (125 MB of RGBA on a 100,000 × 80,000 slide) is unreachable
 * as soon as libvips has resized it, not kept alive through the rest of the mask's computation.
 */
async function maskGridRgb(reader: SlideReader, level: number, src: { width: number; height: number }, width: number, height: number): Promise<Buffer> {
  const region = await reader.readRegion(level, 0, 0, src.width, src.height);
  return sharp(region.data, { raw: { width: region.width, height: region.height, channels: region.channels } })
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .resize(width, height, { fit: 'fill', kernel: 'linear' })
    .raw()
    .toBuffer();
}
