// Interleaved RGB bytes → the model's float32 NCHW input: value = (pixel · scale − mean[c]) / std[c].
import type { ModelManifest } from './model-manifest.js';

/** `rgb` holds n patches of size×size×3 bytes (RGB); writes n×3×size×size floats into `out` (or a new array). */
export function normalisePixels(
  rgb: Uint8Array,
  n: number,
  input: ModelManifest['input'],
  out: Float32Array<ArrayBuffer> = new Float32Array(n * 3 * input.size * input.size),
): Float32Array<ArrayBuffer> {
  const plane = input.size * input.size;
  if (rgb.length < n * plane * 3) throw new Error(`pixels: ${rgb.length} bytes for ${n} patches of ${input.size}²×3`);
  // Per-channel affine map a·p + b, looked up from a 256-entry table (no multiply per pixel).
  const tables = [0, 1, 2].map((c) => {
    const src = input.channelOrder === 'BGR' ? 2 - c : c; // output channel c reads RGB channel src
    const t = new Float32Array(256);
    for (let p = 0; p < 256; p++) t[p] = (p * input.scale - input.mean[c]) / input.std[c];
    return { src, t };
  });
  const [t0, t1, t2] = tables;
  for (let b = 0; b < n; b++) {
    const ib = b * plane * 3;
    const o0 = b * plane * 3;
    const o1 = o0 + plane;
    const o2 = o1 + plane;
    for (let p = 0, i = ib; p < plane; p++, i += 3) {
      out[o0 + p] = t0.t[rgb[i + t0.src]];
      out[o1 + p] = t1.t[rgb[i + t1.src]];
      out[o2 + p] = t2.t[rgb[i + t2.src]];
    }
  }
  return out;
}
