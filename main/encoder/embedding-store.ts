// Embeddings on disk for one (slide fingerprint, model, magnification): append-only chunk files of
// records [x:int32, y:int32, features:float32×dim], and index.json (written atomically after the chunk is
// fsynced) saying how many records of each chunk are committed. A crash loses at most the batch being
// written; bytes past the committed count are ignored and overwritten by the next append.
import { constants } from 'node:fs';
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
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

/** Bumped whenever the pixels a patch is embedded from change, so old and new features never mix
 * (2: coarse magnifications are exact block averages of decoded tiles). */
const storeFormatVersion = 2;

interface StoreIndex extends EmbeddingStoreKey {
  version: number;
  chunks: { file: string; count: number }[];
}

const chunkBytesLimit = 64 << 20;

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
    private readonly index: StoreIndex,
  ) {}

  /** Opens (or creates) the store for `key` under `root`, loading every committed record. */
  static async open(root: string, key: EmbeddingStoreKey): Promise<EmbeddingStore> {
    const dir = storeDir(root, key);
    await mkdir(dir, { recursive: true });
    const fresh: StoreIndex = { version: storeFormatVersion, ...key, chunks: [] };
    let index = fresh;
    const text = await readFile(join(dir, 'index.json'), 'utf8').catch(() => null);
    if (text) {
      try {
        const parsed = JSON.parse(text) as StoreIndex;
        const same = (Object.keys(key) as (keyof EmbeddingStoreKey)[]).every((k) => parsed[k] === key[k]);
        if (parsed.version === storeFormatVersion && same) index = parsed;
      } catch {
        // unreadable index (cannot happen with atomic writes, but never fatal): start over
      }
    }
    const store = new EmbeddingStore(dir, index);
    await store.load();
    if (index === fresh) await store.writeIndex();
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
      chunk = { file: `chunk-${String(this.index.chunks.length).padStart(5, '0')}.bin`, count: 0 };
      this.index.chunks.push(chunk);
    }
    // Read-write without O_APPEND: positional writes must land at the committed end, over any torn tail.
    this.handle ??= await open(join(this.dir, chunk.file), constants.O_RDWR | constants.O_CREAT, 0o644);
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
    chunk.count += keep.length;
    try {
      await this.writeIndex();
    } catch (err) {
      chunk.count = c0;
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

  private async load(): Promise<void> {
    const d = this.dim;
    const recBytes = (2 + d) * 4;
    const total = this.index.chunks.reduce((s, c) => s + c.count, 0);
    this.ensureCapacity(total);
    for (const chunk of this.index.chunks) {
      const data = await readFile(join(this.dir, chunk.file)).catch(() => Buffer.alloc(0));
      const usable = Math.min(chunk.count, Math.floor(data.length / recBytes));
      chunk.count = usable;
      // One aligned copy of the chunk, read through typed views (little-endian).
      const ab = new ArrayBuffer(usable * recBytes);
      new Uint8Array(ab).set(data.subarray(0, usable * recBytes));
      const i32 = new Int32Array(ab);
      const f32 = new Float32Array(ab);
      const rec = 2 + d;
      for (let r = 0; r < usable; r++) {
        const x = i32[r * rec];
        const y = i32[r * rec + 1];
        if (!this.rows.has(`${x},${y}`)) this.put(x, y, f32.subarray(r * rec + 2, (r + 1) * rec));
      }
    }
  }
}
