// Embeddings on disk for one (slide fingerprint, model, magnification): append-only chunk files of
// records [x:int32, y:int32, features:float32×dim], and index.json (written atomically after the chunk is
// fsynced) saying how many records of each chunk are committed. A crash loses at most the batch being
// written; bytes past the committed count are ignored and overwritten by the next append.
// The index is validated strictly on open (types, ranges, chunk names confined to the store folder) and each
// chunk's committed bytes carry a CRC-32; anything invalid, and any non-finite feature, makes the store a
// cache miss that is rebuilt (with one warning), never a crash and never wrong features.
import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { writeFileAtomic } from '../common/atomic-write.js';

export interface EmbeddingStoreKey {
  slideFingerprint: string;
  modelId: string;
  /** SHA-256 of the model file: a re-imported model with the same id starts a fresh store. */
  modelSha256: string;
  mpp: number;
  patchSize: number;
  level0Size: number;
  dim: number;
}

/** Bumped whenever the pixels a patch is embedded from change, or the index format changes, so old and
 * new stores never mix (2: coarse magnifications are exact block averages of decoded tiles; 3: a CRC-32 of
 * each chunk's committed bytes in the index). */
const storeFormatVersion = 3;

interface StoreChunk {
  file: string;
  count: number;
  /** CRC-32 (zlib) of the chunk's first `count` records. */
  crc32: number;
}

interface StoreIndex extends EmbeddingStoreKey {
  version: number;
  chunks: StoreChunk[];
}

export interface EmbeddingStoreOptions {
  /** Told (once per open) when an existing cache was invalid and is being rebuilt; default process.emitWarning. */
  onWarning?: (message: string) => void;
}

const chunkBytesLimit = 64 << 20;
/** Most records one store holds (the patch grid refuses more patches than this per magnification). */
export const maxStoreRecords = 5_000_000;
/** Most chunks an index may list (640 GB of chunks), and the largest index file read. */
const maxChunks = 10_000;
const maxIndexBytes = 4 << 20;
const chunkName = (i: number) => `chunk-${String(i).padStart(5, '0')}.bin`;
const isChunkFileName = (f: string) => /^chunk-\d{5,}\.bin$/.test(f);
/** Chunk files are opened without following a symlink planted in their place, where the platform allows. */
const noFollow = (constants as { O_NOFOLLOW?: number }).O_NOFOLLOW ?? 0;

/** Why `parsed` is not a valid index for `key` (a string), 'stale' for a valid index of another key or
 * format (a silent miss), or undefined when it can be used. */
function checkIndex(parsed: unknown, key: EmbeddingStoreKey): string | undefined {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'the index is not an object';
  const p = parsed as Record<string, unknown>;
  if (p.version !== storeFormatVersion) return 'stale';
  if (!(Object.keys(key) as (keyof EmbeddingStoreKey)[]).every((k) => p[k] === key[k])) return 'stale';
  const chunks = p.chunks;
  if (!Array.isArray(chunks)) return 'its chunk list is not a list';
  if (chunks.length > maxChunks) return `it lists ${chunks.length} chunks (at most ${maxChunks})`;
  let total = 0;
  for (let i = 0; i < chunks.length; i++) {
    const c: unknown = chunks[i];
    if (typeof c !== 'object' || c === null || Array.isArray(c)) return `chunk ${i} is not an object`;
    const { file, count, crc32: crc } = c as Record<string, unknown>;
    if (typeof file !== 'string' || !isChunkFileName(file) || file !== chunkName(i)) return `chunk ${i} names file ${JSON.stringify(file)}, not ${chunkName(i)}`;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) return `chunk ${i} has count ${JSON.stringify(count)}`;
    if (typeof crc !== 'number' || !Number.isInteger(crc) || crc < 0 || crc > 0xffffffff) return `chunk ${i} has checksum ${JSON.stringify(crc)}`;
    total += count;
    if (total > maxStoreRecords) return `it holds more than ${maxStoreRecords} records`;
  }
  return undefined;
}

export function storeDir(root: string, key: Pick<EmbeddingStoreKey, 'slideFingerprint' | 'modelId' | 'mpp'>): string {
  return join(root, key.slideFingerprint, key.modelId, `mpp-${key.mpp}`);
}

export class EmbeddingStore {
  private readonly rows = new Map<string, number>();
  private coords = new Int32Array(0);
  private features = new Float32Array(0);
  private count = 0;
  private writing: Promise<void> = Promise.resolve();
  private handle: FileHandle | undefined;

  private constructor(
    readonly dir: string,
    private index: StoreIndex,
  ) {}

  /**
   * Opens (or creates) the store for `key` under `root`, loading every committed record. An existing
   * store that is invalid in any way (index, chunk files, checksums, non-finite features) is a miss: it is
   * started over, and `options.onWarning` is told why once.
   */
  static async open(root: string, key: EmbeddingStoreKey, options: EmbeddingStoreOptions = {}): Promise<EmbeddingStore> {
    const dir = storeDir(root, key);
    await mkdir(dir, { recursive: true });
    const fresh = (): StoreIndex => ({ version: storeFormatVersion, ...key, chunks: [] });
    let index: StoreIndex | undefined;
    let problem: string | undefined;
    const indexPath = join(dir, 'index.json');
    const info = await stat(indexPath).catch(() => undefined);
    if (info && !info.isFile()) problem = 'index.json is not a regular file';
    else if (info && info.size > maxIndexBytes) problem = `index.json is ${info.size} bytes (at most ${maxIndexBytes})`;
    else if (info) {
      const text = await readFile(indexPath, 'utf8').catch(() => undefined);
      let parsed: unknown;
      try {
        parsed = text === undefined ? undefined : JSON.parse(text);
      } catch {
        problem = 'index.json is not JSON';
      }
      if (text === undefined) problem = 'index.json cannot be read';
      else if (!problem) {
        const why = checkIndex(parsed, key);
        if (why === undefined) index = parsed as StoreIndex;
        else if (why !== 'stale') problem = why;
      }
    }
    const store = new EmbeddingStore(dir, index ?? fresh());
    if (index) {
      problem = await store.load();
      if (problem) store.reset(fresh());
    }
    if (problem) {
      const message = `embedding cache ${dir} is invalid (${problem}); rebuilding it`;
      (options.onWarning ?? ((m: string) => process.emitWarning(m, { code: 'TESSERA_EMBEDDING_CACHE' })))(message);
    }
    if (!index || problem) {
      await store.removeChunkFiles();
      await store.writeIndex();
    }
    return store;
  }

  get size(): number {
    return this.count;
  }

  get dim(): number {
    return this.index.dim;
  }

  has(x: number, y: number): boolean {
    return this.rows.has(`${x},${y}`);
  }

  /** Features of the patch at level-0 (x, y), or undefined. (A view: copy it to keep it.) */
  get(x: number, y: number): Float32Array | undefined {
    const r = this.rows.get(`${x},${y}`);
    return r === undefined ? undefined : this.features.subarray(r * this.dim, (r + 1) * this.dim);
  }

  /** Rows for the given (x, y) pairs that are stored: their coords and features, in the given order. */
  gather(coords: ArrayLike<number>): { coords: Int32Array; features: Float32Array } {
    const found: number[] = [];
    for (let k = 0; k < coords.length; k += 2) {
      const r = this.rows.get(`${coords[k]},${coords[k + 1]}`);
      if (r !== undefined) found.push(r);
    }
    return this.rowsToSet(found);
  }

  /** Every stored record. */
  all(): { coords: Int32Array; features: Float32Array } {
    return this.rowsToSet(Array.from({ length: this.count }, (_, i) => i));
  }

  private rowsToSet(rows: number[]): { coords: Int32Array; features: Float32Array } {
    const d = this.dim;
    const coords = new Int32Array(rows.length * 2);
    const features = new Float32Array(rows.length * d);
    rows.forEach((r, i) => {
      coords[2 * i] = this.coords[2 * r];
      coords[2 * i + 1] = this.coords[2 * r + 1];
      features.set(this.features.subarray(r * d, (r + 1) * d), i * d);
    });
    return { coords, features };
  }

  /** Appends a batch (coords [n·2], features [n·dim]) durably; records already stored are skipped. */
  append(coords: Int32Array, features: Float32Array): Promise<void> {
    const run = this.writing.then(() => this.appendNow(coords, features));
    this.writing = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.handle?.close();
    this.handle = undefined;
  }

  private async appendNow(coords: Int32Array, features: Float32Array): Promise<void> {
    const d = this.dim;
    const n = coords.length / 2;
    if (features.length !== n * d) throw new Error(`append: ${features.length} features for ${n} patches of dim ${d}`);
    for (let k = 0; k < features.length; k++) {
      if (!Number.isFinite(features[k])) throw new Error(`append: feature ${k % d} of patch ${Math.floor(k / d)} is ${features[k]}, not a finite number; nothing was stored`);
    }
    const keep: number[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const key = `${coords[2 * i]},${coords[2 * i + 1]}`;
      if (!this.rows.has(key) && !seen.has(key)) {
        keep.push(i);
        seen.add(key);
      }
    }
    if (keep.length === 0) return;
    const recBytes = (2 + d) * 4;
    let chunk = this.index.chunks.at(-1);
    if (!chunk || (chunk.count + keep.length) * recBytes > chunkBytesLimit) {
      await this.handle?.close();
      this.handle = undefined;
      chunk = { file: chunkName(this.index.chunks.length), count: 0, crc32: 0 };
      this.index.chunks.push(chunk);
    }
    // Read-write without O_APPEND: positional writes must land at the committed end, over any torn tail.
    this.handle ??= await open(join(this.dir, chunk.file), constants.O_RDWR | constants.O_CREAT | noFollow, 0o644);
    // Records through typed views of one buffer (little-endian, as every platform Tessera runs on).
    const rec = 2 + d;
    const ab = new ArrayBuffer(keep.length * recBytes);
    const i32 = new Int32Array(ab);
    const f32 = new Float32Array(ab);
    keep.forEach((i, k) => {
      i32[k * rec] = coords[2 * i];
      i32[k * rec + 1] = coords[2 * i + 1];
      f32.set(features.subarray(i * d, (i + 1) * d), k * rec + 2);
    });
    const buf = new Uint8Array(ab);
    await this.handle.write(buf, 0, buf.length, chunk.count * recBytes);
    await this.handle.datasync();
    const c0 = chunk.count;
    const crc0 = chunk.crc32;
    chunk.count += keep.length;
    chunk.crc32 = crc32(buf, crc0);
    try {
      await this.writeIndex();
    } catch (err) {
      chunk.count = c0;
      chunk.crc32 = crc0;
      throw err;
    }
    this.ensureCapacity(this.count + keep.length);
    keep.forEach((i) => {
      this.put(coords[2 * i], coords[2 * i + 1], features.subarray(i * d, (i + 1) * d));
    });
  }

  private writeIndex(): Promise<void> {
    return writeFileAtomic(join(this.dir, 'index.json'), JSON.stringify(this.index));
  }

  private ensureCapacity(rows: number): void {
    const cap = this.coords.length / 2;
    if (rows <= cap) return;
    const next = Math.max(rows, cap * 2, 256);
    const c = new Int32Array(next * 2);
    c.set(this.coords.subarray(0, this.count * 2));
    const f = new Float32Array(next * this.dim);
    f.set(this.features.subarray(0, this.count * this.dim));
    this.coords = c;
    this.features = f;
  }

  private put(x: number, y: number, feats: Float32Array): void {
    const r = this.count++;
    this.coords[2 * r] = x;
    this.coords[2 * r + 1] = y;
    this.features.set(feats, r * this.dim);
    this.rows.set(`${x},${y}`, r);
  }

  /** Forgets every record and starts `index` (after an invalid store was found). */
  private reset(index: StoreIndex): void {
    this.index = index;
    this.rows.clear();
    this.coords = new Int32Array(0);
    this.features = new Float32Array(0);
    this.count = 0;
  }

  /** Removes the chunk files of a store being started over (a link in a chunk's place, not its target). */
  private async removeChunkFiles(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) if (isChunkFileName(name)) await rm(join(this.dir, name), { force: true });
  }

  /** Loads every committed record of a validated index; returns why the chunks are invalid, if they are. */
  private async load(): Promise<string | undefined> {
    const d = this.dim;
    const rec = 2 + d;
    const recBytes = rec * 4;
    // Every chunk file must be a regular file holding its committed records before anything is allocated
    // for them (stat, not open: opening a FIFO planted in a chunk's place would block).
    for (const chunk of this.index.chunks) {
      if (chunk.count === 0) continue;
      const info = await stat(join(this.dir, chunk.file)).catch(() => undefined);
      if (!info?.isFile()) return `${chunk.file} is ${info ? 'not a regular file' : 'missing'}`;
      if (info.size < chunk.count * recBytes) return `${chunk.file} holds ${info.size} bytes, fewer than its ${chunk.count} records`;
    }
    this.ensureCapacity(this.index.chunks.reduce((s, c) => s + c.count, 0));
    for (const chunk of this.index.chunks) {
      const want = chunk.count * recBytes;
      if (want === 0) continue;
      const path = join(this.dir, chunk.file);
      // One aligned copy of the committed records, read through typed views (little-endian).
      const ab = new ArrayBuffer(want);
      const bytes = new Uint8Array(ab);
      let handle: FileHandle | undefined;
      try {
        handle = await open(path, constants.O_RDONLY | noFollow);
        let got = 0;
        while (got < want) {
          const { bytesRead } = await handle.read(bytes, got, want - got, got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        if (got < want) return `${chunk.file} ended after ${got} of ${want} bytes`;
      } catch (err) {
        return `${chunk.file} cannot be read: ${(err as Error).message}`;
      } finally {
        await handle?.close().catch(() => {});
      }
      if (crc32(bytes) !== chunk.crc32) return `${chunk.file} fails its checksum`;
      const i32 = new Int32Array(ab);
      const f32 = new Float32Array(ab);
      for (let r = 0; r < chunk.count; r++) {
        for (let k = r * rec + 2; k < (r + 1) * rec; k++) if (!Number.isFinite(f32[k])) return `${chunk.file} holds a non-finite feature`;
        const x = i32[r * rec];
        const y = i32[r * rec + 1];
        if (!this.rows.has(`${x},${y}`)) this.put(x, y, f32.subarray(r * rec + 2, (r + 1) * rec));
      }
    }
    return undefined;
  }
}
