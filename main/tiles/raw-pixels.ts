// Small helpers on raw interleaved pixels: blank canvases, rectangle copies, and sharp's raw descriptor.
import type { RawImage } from '../slide/slide-reader.js';

/** An RGB image filled with white (OpenSlide's default background). */
export function whiteRgb(width: number, height: number): RawImage {
  return { data: Buffer.alloc(width * height * 3, 255), width, height, channels: 3 };
}

/** Copies src's pixels into dst with src's top-left at (dx, dy) in dst, clipped to dst. Same channel count. */
export function blit(src: RawImage, dst: RawImage, dx: number, dy: number): void {
  if (src.channels !== dst.channels) throw new Error('blit needs images with the same channels');
  const c = src.channels;
  const x0 = Math.max(0, dx);
  const y0 = Math.max(0, dy);
  const x1 = Math.min(dst.width, dx + src.width);
  const y1 = Math.min(dst.height, dy + src.height);
  if (x1 <= x0 || y1 <= y0) return;
  const rowBytes = (x1 - x0) * c;
  for (let y = y0; y < y1; y++) {
    const s = ((y - dy) * src.width + (x0 - dx)) * c;
    src.data.copy(dst.data, (y * dst.width + x0) * c, s, s + rowBytes);
  }
}

export function rawDescriptor(image: RawImage): { raw: { width: number; height: number; channels: 3 | 4 } } {
  return { raw: { width: image.width, height: image.height, channels: image.channels } };
}

/** Weights per output pixel in 1/256ths (each output's sum exactly 256). */
const WEIGHT_ONE = 256;

/**
 * Per output pixel of one axis: the first source pixel it covers and the covered fractions in 1/256ths
 * (summing to exactly 256: rounding is put on the largest).
 */
function areaTaps(src: number, dst: number): { first: Int32Array; taps: number; weights: Int32Array } {
  const s = src / dst;
  const taps = Math.ceil(s) + 1;
  const first = new Int32Array(dst);
  const weights = new Int32Array(dst * taps);
  for (let i = 0; i < dst; i++) {
    const a = i * s;
    const b = Math.min(src, (i + 1) * s);
    const k0 = Math.min(Math.floor(a), src - 1);
    first[i] = k0;
    let sum = 0;
    let largest = 0;
    for (let t = 0; t < taps; t++) {
      const k = k0 + t;
      const w = k < src ? Math.round((Math.max(0, Math.min(b, k + 1) - Math.max(a, k)) / (b - a)) * WEIGHT_ONE) : 0;
      weights[i * taps + t] = w;
      sum += w;
      if (w > weights[i * taps + largest]) largest = t;
    }
    weights[i * taps + largest] += WEIGHT_ONE - sum;
  }
  return { first, taps, weights };
}

/**
 * RGB width × height → dw × dh by area averaging (each output pixel the mean of the source area it
 * covers, fractional pixels weighted): for shrinking by 1–4× per axis. The same pixel-centre mapping as
 * a Lanczos resize, softer; exact 2 × 2 box means at 2×. In fixed point (weights in 1/256ths, one
 * rounding at the end): 373 × 512 → 186 × 256 in ~1.5 ms, ~2.7 ms in floating point, about what a libvips
 * resize + encode costs; so only small outputs are shrunk here (tile-encoder.ts).
 */
export function areaShrinkRgb(src: Buffer, width: number, height: number, dw: number, dh: number): Buffer {
  const hx = areaTaps(width, dw);
  const vy = areaTaps(height, dh);
  // Horizontal pass: each value × 256 (≤ 65,280).
  const tmp = new Uint16Array(height * dw * 3);
  const tx = hx.taps;
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    let o = y * dw * 3;
    for (let x = 0; x < dw; x++, o += 3) {
      let r = 0;
      let g = 0;
      let b = 0;
      let i = row + hx.first[x] * 3;
      for (let t = x * tx, end = t + tx; t < end; t++, i += 3) {
        const w = hx.weights[t];
        if (w === 0) continue;
        r += src[i] * w;
        g += src[i + 1] * w;
        b += src[i + 2] * w;
      }
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
    }
  }
  // Vertical pass: × 256 again, then rounded back to 8 bits.
  const out = Buffer.allocUnsafe(dw * dh * 3);
  const rowLength = dw * 3;
  const ty = vy.taps;
  for (let y = 0; y < dh; y++) {
    const o = y * rowLength;
    const k0 = vy.first[y];
    if (ty <= 3) {
      // Up to three rows (scales ≤ 2): unrolled.
      const w0 = vy.weights[y * ty];
      const w1 = ty > 1 ? vy.weights[y * ty + 1] : 0;
      const w2 = ty > 2 ? vy.weights[y * ty + 2] : 0;
      const r0 = k0 * rowLength;
      const r1 = Math.min(k0 + 1, height - 1) * rowLength;
      const r2 = Math.min(k0 + 2, height - 1) * rowLength;
      for (let x = 0; x < rowLength; x++) out[o + x] = (tmp[r0 + x] * w0 + tmp[r1 + x] * w1 + tmp[r2 + x] * w2 + 32768) >>> 16;
      continue;
    }
    for (let x = 0; x < rowLength; x++) {
      let v = 0;
      for (let t = 0; t < ty; t++) {
        const w = vy.weights[y * ty + t];
        if (w !== 0) v += tmp[(k0 + t) * rowLength + x] * w;
      }
      out[o + x] = (v + 32768) >>> 16;
    }
  }
  return out;
}
