// An approximate nearest-neighbour index (usearch HNSW, cosine) over every patch the embedding cache holds
// for one model and magnification: the whole-cache scope of "find more like this" (10^6–10^7 patches, where
// an exact pass over every embedding is too slow and too big for memory).
//
// Only patches of the non-overlapping grid are indexed (as the exact search reads EmbeddingService.cached);
// the app's half-overlapping grid shares the stores and is skipped.
//
// Persisted beside the cache (`<index root>/<model>/mpp-<m>/`): `vectors.usearch` (usearch's own format),
// `rows.bin` (int32 per key: the record of its chunk) and `manifest.json` (written atomically after both are
// fsynced and renamed) with both files' size and CRC-32, which store chunks (and how many records of each,
// with their CRC) it has read, and the feature sums of everything indexed. usearch aborts the process on a torn or corrupt file, so a file is
// handed to it only after its size and checksum match the manifest; anything else is rebuilt from the cache.
//
// Catch-up (`update`): records committed to a store since the last update are appended (keys continue); a
// store that shrank, vanished or whose already-indexed bytes changed (its CRC-32 no longer continues ours)
// forces a rebuild, and so does the cache having doubled since the standardisation was fixed.
//
// Scores: vectors are standardised (per feature: minus mean, times 1/sd) with the statistics of the cache
// when the index was (re)built, the ANN returns candidates, and the candidates are re-scored exactly with the
// statistics of everything indexed now, by the exact path's own `cosineScores`. A score is therefore exactly
// what the exact search over the whole cache would give; only which candidates are found is approximate
// (recall@10 measured in bench/search.bench.ts).
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { createRequire } from 'node:module';
import type { Index, ScalarKind } from 'usearch';
import { writeFileAtomic } from '../common/atomic-write.js';
import { cosineScores, type FeatureStats } from './cosine-search.js';
import { fileCrc, standardise, statsOf } from './index-helpers.js';
import { listCachedStores, readRecords, splitRecords, type CacheModelKey, type CachedStore } from './cache-stores.js';

// usearch's CommonJS build, which finds its prebuilt binary from its own folder: the ESM build locates it from
// the caller's stack, which in a worker started by eval (tests, dev) is the app's root, where it is not.
const usearch = createRequire(import.meta.url)('usearch') as typeof import('usearch');

const manifestVersion = 1;
/** Chunk files are opened without following a link planted in their place, as the store does. */
const noFollow = (constants as { O_NOFOLLOW?: number }).O_NOFOLLOW ?? 0;

/** HNSW settings (measured in bench/search.bench.ts: recall@10 ≥ 0.95 at 10^6 × 384). */
export interface AnnSettings {
  connectivity: number;
  expansionAdd: number;
  expansionSearch: number;
  /** Element type inside the index (re-scoring reads the exact float32 features from the cache). */
  quantization: 'f32' | 'f16' | 'i8';
}

export const defaultAnnSettings: AnnSettings = { connectivity: 16, expansionAdd: 128, expansionSearch: 160, quantization: 'f16' };

interface IndexedChunk {
  fingerprint: string;
  file: string;
  /** Records of the chunk indexed, and the CRC-32 of those records (the store's own running CRC). */
  count: number;
  crc32: number;
}

interface Segment {
  fingerprint: string;
  file: string;
  /** Keys [key, key + count) are records of this chunk (which: rows.bin). */
  count: number;
  key: number;
  level0Size: number;
}

interface Manifest extends CacheModelKey {
  version: number;
  settings: AnnSettings;
  indexFile: { bytes: number; crc32: number };
  rowsFile: { bytes: number; crc32: number };
  size: number;
  chunks: IndexedChunk[];
  segments: Segment[];
  /** Per-feature sum and sum of squares of every indexed vector (exact current statistics). */
  sum: number[];
  sumSq: number[];
  /** The statistics the stored vectors were standardised with, and how many vectors they were taken over. */
  built: { mean: number[]; invSd: number[]; over: number };
}

export interface CacheHit {
  slideFingerprint: string;
  x: number;
  y: number;
  /** Level-0 px of the patch side. */
  size: number;
  score: number;
}

export interface UpdateReport {
  /** Vectors added by this update, and in the index now. */
  added: number;
  size: number;
  /** Why the index was rebuilt from scratch (undefined: it was caught up or already current). */
  rebuilt?: string;
  /** Why it could not be saved (it still answers from memory), if it could not. */
  unsaved?: string;
  stores: number;
}

export interface CacheIndexOptions {
  /** The embedding cache root (EmbeddingService.cacheDir). */
  cacheDir: string;
  /** Where indexes live; default `search-index` beside the cache folder. */
  indexDir: string;
  key: CacheModelKey;
  settings?: AnnSettings;
  /** Threads for building and searching (default: every core). */
  threads?: number;
}

export class CacheIndex {
  private index: Index | undefined;
  private manifest: Manifest | undefined;
  /** Per key, its record in its segment's chunk. */
  private rows = new Int32Array(0);
  readonly dir: string;
  private readonly settings: AnnSettings;
  private readonly threads: number;

  constructor(private readonly o: CacheIndexOptions) {
    this.dir = join(o.indexDir, o.key.modelId, `mpp-${o.key.mpp}`);
    this.settings = o.settings ?? defaultAnnSettings;
    this.threads = o.threads ?? availableParallelism();
  }

  get size(): number {
    return this.manifest?.size ?? 0;
  }

  private newIndex(): Index {
    const s = this.settings;
    return new usearch.Index({
      dimensions: this.o.key.dim,
      metric: usearch.MetricKind.Cos,
      quantization: s.quantization as ScalarKind,
      connectivity: s.connectivity,
      expansion_add: s.expansionAdd,
      expansion_search: s.expansionSearch,
      multi: false,
    });
  }

  /** The persisted index if its manifest is valid for this key and settings and its file matches it; else why not. */
  private async loadPersisted(): Promise<string | undefined> {
    const mpath = join(this.dir, 'manifest.json');
    let m: Manifest;
    try {
      m = JSON.parse(await readFile(mpath, 'utf8')) as Manifest;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'there was none' : 'its manifest is not JSON';
    }
    const k = this.o.key;
    if (typeof m !== 'object' || m === null || m.version !== manifestVersion) return 'its manifest is of another version';
    if (m.modelId !== k.modelId || m.modelSha256 !== k.modelSha256 || m.mpp !== k.mpp || m.dim !== k.dim) return 'it belongs to another model';
    if (JSON.stringify(m.settings) !== JSON.stringify(this.settings)) return 'its settings changed';
    if (!Array.isArray(m.chunks) || !Array.isArray(m.segments) || m.sum?.length !== k.dim || m.built?.mean?.length !== k.dim) return 'its manifest is malformed';
    const file = join(this.dir, 'vectors.usearch');
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return 'its index file is missing';
    if (info.size !== m.indexFile?.bytes) return `its index file is ${info.size} bytes, not ${m.indexFile?.bytes}`;
    if ((await fileCrc(file)).crc32 !== m.indexFile.crc32) return 'its index file fails its checksum';
    const rows = await readFile(join(this.dir, 'rows.bin')).catch(() => undefined);
    if (!rows || rows.length !== m.rowsFile?.bytes || rows.length !== 4 * m.size || crc32(rows) !== m.rowsFile.crc32) return 'its rows file is missing or fails its checksum';
    const index = this.newIndex();
    index.load(file);
    if (index.size() !== m.size) return `its index holds ${index.size()} vectors, not ${m.size}`;
    this.index = index;
    this.manifest = m;
    this.rows = new Int32Array(rows.buffer.slice(rows.byteOffset, rows.byteOffset + rows.length));
    return undefined;
  }

  /** Why the persisted index cannot be caught up with `stores` (a rebuild is due), or undefined. */
  private staleReason(m: Manifest, stores: CachedStore[]): string | undefined {
    const byFp = new Map(stores.map((s) => [s.slideFingerprint, s]));
    for (const c of m.chunks) {
      const s = byFp.get(c.fingerprint);
      if (!s) return `slide ${c.fingerprint.slice(0, 12)} left the cache`;
      const now = s.chunks.find((x) => x.file === c.file);
      if (!now || now.count < c.count) return `the cache of slide ${c.fingerprint.slice(0, 12)} was rebuilt`;
      if (now.count === c.count && now.crc32 !== c.crc32) return `the cache of slide ${c.fingerprint.slice(0, 12)} changed`;
    }
    if (m.built.over > 0 && m.size > 2 * m.built.over) return `the index grew from ${m.built.over} to ${m.size} patches since the standardisation was fixed`;
    return undefined;
  }

  /** Brings the index up to date with the cache: loads it, catches up on new records, or rebuilds it. */
  async update(): Promise<UpdateReport> {
    const stores = await listCachedStores(this.o.cacheDir, this.o.key);
    let rebuilt: string | undefined;
    if (!this.manifest) rebuilt = await this.loadPersisted();
    if (!rebuilt && this.manifest) rebuilt = this.staleReason(this.manifest, stores);
    if (rebuilt) await this.startOver(stores);
    let added = await this.catchUp(stores);
    if (typeof added === 'string') {
      rebuilt = added;
      await this.startOver(stores);
      added = (await this.catchUp(stores)) as number;
    }
    let unsaved: string | undefined;
    // A read-only or full disk costs the next process a rebuild, not this search its answer.
    if (added > 0 || rebuilt) await this.persist().catch((err: Error) => (unsaved = err.message));
    return { added, size: this.size, stores: stores.length, ...(rebuilt ? { rebuilt } : {}), ...(unsaved ? { unsaved } : {}) };
  }

  /** An empty index whose standardisation is the statistics of everything the cache holds now (one read pass). */
  private async startOver(stores: CachedStore[]): Promise<void> {
    const dim = this.o.key.dim;
    const sum = new Float64Array(dim);
    const sumSq = new Float64Array(dim);
    let n = 0;
    for (const s of stores)
      for (const c of s.chunks) {
        const { features, records } = splitRecords(await readRecords(s.dir, c.file, dim, 0, c.count), dim, s.level0Size);
        for (let b = 0; b < features.length; b += dim)
          for (let j = 0; j < dim; j++) {
            sum[j] += features[b + j];
            sumSq[j] += features[b + j] * features[b + j];
          }
        n += records.length;
      }
    const st = statsOf(sum, sumSq, n);
    this.index = this.newIndex();
    this.rows = new Int32Array(0);
    const k = this.o.key;
    this.manifest = {
      version: manifestVersion,
      modelId: k.modelId,
      modelSha256: k.modelSha256,
      mpp: k.mpp,
      dim,
      settings: this.settings,
      indexFile: { bytes: 0, crc32: 0 },
      rowsFile: { bytes: 0, crc32: 0 },
      size: 0,
      chunks: [],
      segments: [],
      sum: new Array<number>(dim).fill(0),
      sumSq: new Array<number>(dim).fill(0),
      built: { mean: Array.from(st.mean), invSd: Array.from(st.invSd), over: n },
    };
  }

  /** Adds every committed record the index lacks; returns how many, or why a rebuild is due (indexed bytes changed). */
  private async catchUp(stores: CachedStore[]): Promise<number | string> {
    const m = this.manifest!;
    const dim = m.dim;
    const built: FeatureStats = { mean: Float32Array.from(m.built.mean), invSd: Float32Array.from(m.built.invSd) };
    let added = 0;
    for (const s of stores)
      for (const c of s.chunks) {
        let mine = m.chunks.find((x) => x.fingerprint === s.slideFingerprint && x.file === c.file);
        const from = mine?.count ?? 0;
        if (c.count <= from) continue;
        const bytes = await readRecords(s.dir, c.file, dim, from, c.count);
        const crc = crc32(bytes, mine?.crc32 ?? 0);
        if (crc !== c.crc32) {
          // Records we indexed are not the ones the store holds now (it was started over): rebuild. A new chunk
          // whose bytes do not match its index is being rewritten under us: take it next time.
          if (mine) return `the cache of slide ${s.slideFingerprint.slice(0, 12)} changed`;
          continue;
        }
        const { features, records } = splitRecords(bytes, dim, s.level0Size);
        const n = records.length;
        if (n > 0) {
          for (let b = 0; b < features.length; b += dim)
            for (let j = 0; j < dim; j++) {
              m.sum[j] += features[b + j];
              m.sumSq[j] += features[b + j] * features[b + j];
            }
          standardise(features, dim, built);
          const keys = new BigUint64Array(n);
          for (let i = 0; i < n; i++) keys[i] = BigInt(m.size + i);
          this.index!.add(keys, features, this.threads);
          if (this.rows.length < m.size + n) {
            const grown = new Int32Array(Math.max(m.size + n, 2 * this.rows.length, 1024));
            grown.set(this.rows.subarray(0, m.size));
            this.rows = grown;
          }
          for (let i = 0; i < n; i++) this.rows[m.size + i] = from + records[i];
          m.segments.push({ fingerprint: s.slideFingerprint, file: c.file, count: n, key: m.size, level0Size: s.level0Size });
          m.size += n;
          added += n;
        }
        if (!mine) m.chunks.push((mine = { fingerprint: s.slideFingerprint, file: c.file, count: 0, crc32: 0 }));
        mine.count = c.count;
        mine.crc32 = crc;
      }
    return added;
  }

  /** Index and rows files first (temp, fsync, rename), then the manifest naming their sizes and checksums (atomic). */
  private async persist(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const rows = new Uint8Array(this.rows.buffer, 0, 4 * this.manifest!.size);
    await writeFileAtomic(join(this.dir, 'rows.bin'), rows);
    this.manifest!.rowsFile = { bytes: rows.length, crc32: crc32(rows) };
    const file = join(this.dir, 'vectors.usearch');
    const tmp = join(this.dir, `.vectors-${process.pid}-${Date.now()}.tmp`);
    try {
      this.index!.save(tmp);
      const h = await open(tmp, constants.O_RDONLY);
      await h.datasync().finally(() => h.close());
      this.manifest!.indexFile = await fileCrc(tmp);
      await rename(tmp, file);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await writeFileAtomic(join(this.dir, 'manifest.json'), JSON.stringify(this.manifest));
  }

  /**
   * The `k` patches most like `query` (raw embedding), best first, scored exactly as the exact search over
   * everything indexed would score them; `exclude` drops patches (the query's own) before counting to k.
   */
  async search(query: Float32Array, k: number, exclude?: (fingerprint: string, x: number, y: number) => boolean, excluded = 0): Promise<CacheHit[]> {
    const m = this.manifest;
    if (!m || !this.index || m.size === 0) return [];
    const dim = m.dim;
    if (query.length !== dim) throw new RangeError(`query has ${query.length} numbers, the index ${dim}`);
    const built: FeatureStats = { mean: Float32Array.from(m.built.mean), invSd: Float32Array.from(m.built.invSd) };
    const z = query.slice();
    standardise(z, dim, built);
    // Over-fetch: re-scoring with today's statistics may reorder near the cut, and excluded patches drop out.
    const want = Math.min(m.size, 2 * k + excluded + 16);
    const found = this.index.search(z, want, this.threads);
    const rows = await this.gather(Array.from(found.keys, Number));
    const scores = cosineScores(query, rows.features, dim, statsOf(m.sum, m.sumSq, m.size));
    const hits: CacheHit[] = [];
    rows.meta.forEach((r, i) => {
      if (!exclude?.(r.fingerprint, r.x, r.y)) hits.push({ slideFingerprint: r.fingerprint, x: r.x, y: r.y, size: r.size, score: scores[i] });
    });
    hits.sort((a, b) => b.score - a.score);
    return hits.slice(0, k);
  }

  /** The exact features and coordinates of indexed keys, read from the cache's chunk files (each file opened once). */
  private async gather(keys: number[]): Promise<{ features: Float32Array; meta: { fingerprint: string; x: number; y: number; size: number }[] }> {
    const m = this.manifest!;
    const dim = m.dim;
    const recBytes = (2 + dim) * 4;
    const features = new Float32Array(keys.length * dim);
    const meta: { fingerprint: string; x: number; y: number; size: number }[] = new Array(keys.length);
    const byFile = new Map<Segment, number[]>();
    keys.forEach((key, i) => {
      let lo = 0;
      let hi = m.segments.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (m.segments[mid].key <= key) lo = mid;
        else hi = mid - 1;
      }
      const seg = m.segments[lo];
      byFile.set(seg, [...(byFile.get(seg) ?? []), i]);
    });
    const buf = new Uint8Array(new ArrayBuffer(recBytes));
    for (const [seg, idx] of byFile) {
      const h = await open(join(this.o.cacheDir, seg.fingerprint, m.modelId, `mpp-${m.mpp}`, seg.file), constants.O_RDONLY | noFollow);
      try {
        for (const i of idx) {
          const { bytesRead } = await h.read(buf, 0, recBytes, this.rows[keys[i]] * recBytes);
          if (bytesRead !== recBytes) throw new Error(`${seg.file} of slide ${seg.fingerprint.slice(0, 12)} ends before an indexed record`);
          const r = splitRecords(buf, dim);
          features.set(r.features, i * dim);
          meta[i] = { fingerprint: seg.fingerprint, x: r.coords[0], y: r.coords[1], size: seg.level0Size };
        }
      } finally {
        await h.close();
      }
    }
    return { features, meta };
  }
}
