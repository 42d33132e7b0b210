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

/** Per output pixel of one axis: the first source pixel it covers and the covered fractions (summing to 1). */
function areaTaps(src: number, dst: number): { first: Int32Array; taps: number; weights: Float64Array } {
  const s = src / dst;
  const taps = Math.ceil(s) + 1;
  const first = new Int32Array(dst);
  const weights = new Float64Array(dst * taps);
  for (let i = 0; i < dst; i++) {
    const a = i * s;
    const b = Math.min(src, (i + 1) * s);
    const k0 = Math.floor(a);
    first[i] = k0;
    for (let t = 0; t < taps; t++) {
      const k = k0 + t;
      weights[i * taps + t] = Math.max(0, Math.min(b, k + 1) - Math.max(a, k)) / s;
    }
  }
  return { first, taps, weights };
}

/**
 * RGB width × height → dw × dh by area averaging (each output pixel the mean of the source area it
 * covers, fractional pixels weighted): for shrinking by 1–4× per axis. The same pixel-centre mapping as
 * a Lanczos resize, softer; exact 2 × 2 box means at 2×. In JS, so worth it only for small outputs
 * (a libvips call's fixed cost is ~0.6 ms; this is ~1 µs per output pixel).
 */
export function areaShrinkRgb(src: Buffer, width: number, height: number, dw: number, dh: number): Buffer {
  const hx = areaTaps(width, dw);
  const vy = areaTaps(height, dh);
  const tmp = new Float64Array(height * dw * 3);
  for (let y = 0; y < height; y++) {
    const row = y * width * 3;
    for (let x = 0; x < dw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      const k0 = hx.first[x];
      for (let t = 0; t < hx.taps; t++) {
        const k = k0 + t;
        const w = hx.weights[x * hx.taps + t];
        if (w === 0 || k >= width) continue;
        const i = row + k * 3;
        r += src[i] * w;
        g += src[i + 1] * w;
        b += src[i + 2] * w;
      }
      const o = (y * dw + x) * 3;
      tmp[o] = r;
      tmp[o + 1] = g;
      tmp[o + 2] = b;
    }
  }
  const out = Buffer.allocUnsafe(dw * dh * 3);
  for (let y = 0; y < dh; y++) {
    const k0 = vy.first[y];
    for (let x = 0; x < dw * 3; x++) {
      let v = 0;
      for (let t = 0; t < vy.taps; t++) {
        const k = k0 + t;
        const w = vy.weights[y * vy.taps + t];
        if (w === 0 || k >= height) continue;
        v += tmp[k * dw * 3 + x] * w;
      }
      out[y * dw * 3 + x] = Math.min(255, Math.round(v));
    }
  }
  return out;
}
