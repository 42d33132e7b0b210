// Writes an EmbeddingSet for other tools: HDF5 in the CLAM/TRIDENT layout (`features` [N,D] float32, `coords`
// [N,2] int32 level-0 px, attributes) or NumPy .npy features + a coords CSV. One file per magnification.
import { writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import h5wasm from 'h5wasm/node';
import type { EmbeddingSet } from '../contracts/embeddings.js';

export type EmbeddingFormat = 'h5' | 'npy';

export function formatOf(path: string): EmbeddingFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.h5' || ext === '.hdf5') return 'h5';
  if (ext === '.npy') return 'npy';
  throw new Error(`--out must end in .h5 or .npy (got ${path})`);
}

/** The file for one magnification: `out` itself when there is one, else `<stem>.mpp-<mpp><ext>` beside it. */
export function outputPathFor(out: string, mpp: number, count: number): string {
  if (count <= 1) return out;
  const ext = extname(out);
  return join(dirname(out), `${basename(out, ext)}.mpp-${mpp}${ext}`);
}

export interface EmbeddingFileInfo {
  modelSha256?: string;
  /** Level-0 µm/px (assumed or read from the slide). */
  slideMpp: number;
}

export function embeddingAttributes(set: EmbeddingSet, info: EmbeddingFileInfo): Record<string, string | number> {
  return {
    patch_size: set.grid.patchSize,
    patch_size_level0: Math.round(set.grid.level0Size),
    patch_size_level0_exact: set.grid.level0Size,
    mpp: set.grid.mpp,
    target_magnification: Math.round((10 / set.grid.mpp) * 100) / 100,
    level0_mpp: info.slideMpp,
    level0_mpp_assumed: set.slideMppAssumed ? 1 : 0,
    model_id: set.modelId,
    model_sha256: info.modelSha256 ?? '',
    slide_fingerprint: set.slideFingerprint,
  };
}

export async function writeEmbeddingsH5(path: string, set: EmbeddingSet, info: EmbeddingFileInfo): Promise<void> {
  await h5wasm.ready;
  const n = set.coords.length / 2;
  const f = new h5wasm.File(resolve(path), 'w');
  try {
    const attrs = embeddingAttributes(set, info);
    const features = f.create_dataset({ name: 'features', data: set.features, shape: [n, set.dim], dtype: '<f' });
    const coords = f.create_dataset({ name: 'coords', data: set.coords, shape: [n, 2], dtype: '<i' });
    for (const [k, v] of Object.entries(attrs)) {
      f.create_attribute(k, v);
      coords.create_attribute(k, v);
    }
    features.create_attribute('model_id', set.modelId);
  } finally {
    f.close();
  }
}

/** NumPy .npy (format 1.0) of a float32 [rows, cols] array. */
export function npyBytes(data: Float32Array, rows: number, cols: number): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  Buffer.from([0x93]).copy(head, 0);
  head.write('NUMPY', 1, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

export async function writeEmbeddingsNpy(path: string, set: EmbeddingSet, info: EmbeddingFileInfo): Promise<string> {
  const n = set.coords.length / 2;
  await writeFile(path, npyBytes(set.features, n, set.dim));
  const csvPath = join(dirname(path), `${basename(path, extname(path))}.coords.csv`);
  const attrs = embeddingAttributes(set, info);
  const lines = [`# ${Object.entries(attrs).map(([k, v]) => `${k}=${v}`).join(' ')}`, 'x,y'];
  for (let i = 0; i < n; i++) lines.push(`${set.coords[2 * i]},${set.coords[2 * i + 1]}`);
  await writeFile(csvPath, lines.join('\n') + '\n');
  return csvPath;
}
