// What the embedding cache holds for one model and magnification, read from the store files themselves
// (`encoder/embedding-store.ts`: <root>/<fingerprint>/<model>/mpp-<m>/index.json + chunk-NNNNN.bin of records
// [x:int32, y:int32, features:float32×dim]), without opening an EmbeddingStore: listing a cache of thousands
// of slides must not load their features. Only committed records (the index's counts) are ever read.
import { constants } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { onGrid } from '../encoder/patch-grid.js';

export interface CacheModelKey {
  modelId: string;
  modelSha256: string;
  mpp: number;
  dim: number;
}

export interface CachedChunk {
  file: string;
  count: number;
  crc32: number;
}

export interface CachedStore {
  slideFingerprint: string;
  /** The store folder. */
  dir: string;
  dim: number;
  /** Level-0 px of one patch side. */
  level0Size: number;
  chunks: CachedChunk[];
  /** Committed records, all chunks. */
  count: number;
}

const chunkFile = /^chunk-\d{5,}\.bin$/;
const fingerprintDir = /^[A-Za-z0-9_-]{8,128}$/;
const noFollow = (constants as { O_NOFOLLOW?: number }).O_NOFOLLOW ?? 0;
const maxIndexBytes = 4 << 20;

/** The store of one folder if its index is a well-formed index of `key` (a store that is not is skipped: it is rebuilt when opened). */
async function readStore(dir: string, fingerprint: string, key: CacheModelKey): Promise<CachedStore | undefined> {
  const path = join(dir, 'index.json');
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile() || info.size > maxIndexBytes) return undefined;
  let p: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    p = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (p.slideFingerprint !== fingerprint || p.modelId !== key.modelId || p.modelSha256 !== key.modelSha256 || p.mpp !== key.mpp || p.dim !== key.dim) return undefined;
  if (typeof p.level0Size !== 'number' || !Array.isArray(p.chunks)) return undefined;
  const chunks: CachedChunk[] = [];
  let count = 0;
  for (const c of p.chunks as unknown[]) {
    const { file, count: n, crc32 } = (c ?? {}) as Record<string, unknown>;
    if (typeof file !== 'string' || !chunkFile.test(file) || !Number.isSafeInteger(n) || (n as number) < 0 || !Number.isInteger(crc32)) return undefined;
    chunks.push({ file, count: n as number, crc32: crc32 as number });
    count += n as number;
  }
  return { slideFingerprint: fingerprint, dir, dim: key.dim, level0Size: p.level0Size, chunks, count };
}

/** Every store of the cache under `root` for the model and magnification, by fingerprint (sorted, so keys are stable). */
export async function listCachedStores(root: string, key: CacheModelKey): Promise<CachedStore[]> {
  const names = await readdir(root).catch(() => [] as string[]);
  const out: CachedStore[] = [];
  for (const name of names.sort()) {
    if (!fingerprintDir.test(name)) continue;
    const s = await readStore(join(root, name, key.modelId, `mpp-${key.mpp}`), name, key);
    if (s) out.push(s);
  }
  return out;
}

/** Records [from, to) of a chunk as raw bytes (little-endian records of (2 + dim) × 4 bytes). */
export async function readRecords(dir: string, chunk: string, dim: number, from: number, to: number): Promise<Uint8Array> {
  const recBytes = (2 + dim) * 4;
  const want = (to - from) * recBytes;
  const bytes = new Uint8Array(new ArrayBuffer(want));
  if (want === 0) return bytes;
  const h = await open(join(dir, chunk), constants.O_RDONLY | noFollow);
  try {
    let got = 0;
    while (got < want) {
      const { bytesRead } = await h.read(bytes, got, want - got, from * recBytes + got);
      if (bytesRead === 0) throw new Error(`${join(dir, chunk)} ends before record ${to}`);
      got += bytesRead;
    }
  } finally {
    await h.close();
  }
  return bytes;
}

/**
 * Splits raw records into coords [n·2] and features [n·dim] (copies), and which record each row was. With
 * `level0Size`, only patches of the non-overlapping grid (origins on multiples of the patch side, as
 * EmbeddingService.cached returns) are kept: the app also caches its half-overlapping grid in the same store,
 * and those near-copies of a query's patches would crowd the results.
 */
export function splitRecords(bytes: Uint8Array, dim: number, level0Size?: number): { coords: Int32Array; features: Float32Array; records: Int32Array } {
  const rec = 2 + dim;
  const n = bytes.byteLength / (rec * 4);
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  const i32 = new Int32Array(aligned.buffer, aligned.byteOffset, n * rec);
  const f32 = new Float32Array(aligned.buffer, aligned.byteOffset, n * rec);
  const keep: number[] = [];
  for (let r = 0; r < n; r++) if (level0Size === undefined || onGrid({ level0Size }, i32[r * rec], i32[r * rec + 1])) keep.push(r);
  const coords = new Int32Array(keep.length * 2);
  const features = new Float32Array(keep.length * dim);
  keep.forEach((r, k) => {
    coords[2 * k] = i32[r * rec];
    coords[2 * k + 1] = i32[r * rec + 1];
    features.set(f32.subarray(r * rec + 2, (r + 1) * rec), k * dim);
  });
  return { coords, features, records: Int32Array.from(keep) };
}
