// The engine's one decoded pixel form: 8-bit RGBA, so regions are composed with plain row copies.
import { SlideError } from '../slide-errors.js';

export interface RgbaImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 4;
}

/** Interleaved 8-bit pixels with 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA) channels, as RGBA. */
export function toRgba(data: Buffer, width: number, height: number, channels: number): RgbaImage {
  const n = width * height;
  if (data.length < n * channels) throw new SlideError('corrupt', `Decoded pixels are shorter than a ${width}×${height} image`);
  if (channels === 4) return { data: data.length === n * 4 ? data : data.subarray(0, n * 4), width, height, channels: 4 };
  const out = Buffer.allocUnsafe(n * 4);
  if (channels === 3) {
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      const o = i * 4;
      out[o] = data[j];
      out[o + 1] = data[j + 1];
      out[o + 2] = data[j + 2];
      out[o + 3] = 255;
    }
  } else if (channels === 1 || channels === 2) {
    for (let i = 0; i < n; i++) {
      const g = data[i * channels];
      const o = i * 4;
      out[o] = g;
      out[o + 1] = g;
      out[o + 2] = g;
      out[o + 3] = channels === 2 ? data[i * 2 + 1] : 255;
    }
  } else {
    throw new SlideError('unsupported-feature', `Images with ${channels} channels are not supported`);
  }
  return { data: out, width, height, channels: 4 };
}
