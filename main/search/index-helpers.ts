// Helpers of the whole-cache index (cache-index.ts): feature statistics from running sums, in-place
// standardisation, and a file's CRC-32 (read in 8 MiB pieces: index files reach gigabytes).
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { FeatureStats } from './cosine-search.js';

export const statsOf = (sum: ArrayLike<number>, sumSq: ArrayLike<number>, n: number): FeatureStats => {
  const dim = sum.length;
  const mean = new Float32Array(dim);
  const invSd = new Float32Array(dim);
  for (let j = 0; j < dim; j++) {
    // As featureStats (cosine-search.ts): the same statistics the exact path computes over the same rows.
    const m = n > 0 ? sum[j] / n : 0;
    const v = n > 0 ? Math.max(0, sumSq[j] / n - m * m) : 0;
    mean[j] = m;
    invSd[j] = v > 1e-12 * Math.max(1, m * m) ? 1 / Math.sqrt(v) : 1;
  }
  return { mean, invSd };
};

/** Standardises rows of `features` in place with `stats`. */
export function standardise(features: Float32Array, dim: number, { mean, invSd }: FeatureStats): void {
  for (let base = 0; base < features.length; base += dim) for (let j = 0; j < dim; j++) features[base + j] = (features[base + j] - mean[j]) * invSd[j];
}

export async function fileCrc(path: string): Promise<{ bytes: number; crc32: number }> {
  const h = await open(path, constants.O_RDONLY);
  try {
    const buf = new Uint8Array(8 << 20);
    let crc = 0;
    let bytes = 0;
    for (;;) {
      const { bytesRead } = await h.read(buf, 0, buf.length, bytes);
      if (bytesRead === 0) break;
      crc = crc32(buf.subarray(0, bytesRead), crc);
      bytes += bytesRead;
    }
    return { bytes, crc32: crc };
  } finally {
    await h.close();
  }
}

