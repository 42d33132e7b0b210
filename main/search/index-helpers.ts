// Helpers of the whole-cache index (cache-index.ts): feature statistics from running sums, in-place
// standardisation, and a file's CRC-32 (read in 8 MiB pieces: index files reach gigabytes).
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { statsFromSums, type FeatureStats } from './cosine-search.js';

/** The exact path's statistics from running sums (one definition: cosine-search.ts). */
export const statsOf = statsFromSums;

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

