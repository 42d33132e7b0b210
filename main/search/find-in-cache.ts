// "Find more like this" over every slide in the embedding cache for the model and magnification: the query
// (embedded on its slide, as findSimilar does) against every cached patch. Up to `exactUpTo` cached patches
// this is the exact search (all features read, searched in a worker); past it, the persisted ANN index
// (`cache-index.ts`, in its worker), caught up first on whatever landed since. Either way scores are the standardised cosine
// with features standardised over the whole cache, so the two paths agree; the query's own patches are never
// results.
import type { EmbeddingService } from '../encoder/embedding-service.js';
import type { AnnSettings } from './cache-index.js';
import { searchCacheIndex } from './cache-index-client.js';
import { listCachedStores, readRecords, splitRecords, type CacheModelKey } from './cache-stores.js';
import { embedQuery, type FindSimilarRequest } from './find-similar.js';
import { searchInWorker } from './search-in-worker.js';
import { searchIndexDir } from './slide-sources.js';

/**
 * Up to this many cached numbers (patches × dim: 200,000 × 384, 50,000 × 1,536; 300 MB of float32) the exact
 * search reads everything and answers in well under a second (bench/search.bench.ts); past it, the index.
 */
export const exactFloats = 200_000 * 384;

export interface FindInCacheRequest extends Pick<FindSimilarRequest, 'slide' | 'query' | 'modelId' | 'mpp' | 'top' | 'signal' | 'onProgress'> {
  /** Use the index above this many cached patches (default exactFloats / dim). */
  exactUpTo?: number;
  /** Where the indexes live (default `search-index` beside the cache). */
  indexDir?: string;
  settings?: AnnSettings;
}

export interface CachePatch {
  slideFingerprint: string;
  x: number;
  y: number;
  size: number;
  mpp: number;
  score: number;
}

export interface FindInCacheResult {
  query: { x: number; y: number; width: number; height: number; mpp: number; patches: number; modelId: string; slideFingerprint: string; standardised: true };
  results: CachePatch[];
  /** What was searched: slides and patches (of the non-overlapping grid) the cache holds for this model and grid. */
  cache: { slides: number; patches: number; method: 'exact' | 'index'; indexAdded?: number; indexRebuilt?: string };
  searchMs: number;
}

export async function findInCache(service: EmbeddingService, r: FindInCacheRequest): Promise<FindInCacheResult> {
  const q = await embedQuery(service, r);
  const key: CacheModelKey = { modelId: q.model.id, modelSha256: q.model.sha256, mpp: q.mpp, dim: q.dim };
  const stores = await listCachedStores(service.cacheDir, key);
  const total = stores.reduce((a, s) => a + s.count, 0);
  const fp = q.ctx.fingerprint;
  const isOwn = (f: string, x: number, y: number) => f === fp && q.own.has(`${x},${y}`);
  const t0 = performance.now();
  let results: CachePatch[];
  let method: 'exact' | 'index';
  let report: { added: number; rebuilt?: string } | undefined;
  let searched: number;
  if (total <= (r.exactUpTo ?? Math.floor(exactFloats / q.dim))) {
    method = 'exact';
    // Records of both grids are an upper bound: read every chunk, keep the non-overlapping grid's patches.
    const parts: { fp: string; size: number; coords: Int32Array; features: Float32Array }[] = [];
    for (const s of stores)
      for (const c of s.chunks) {
        r.signal?.throwIfAborted();
        const { coords, features } = splitRecords(await readRecords(s.dir, c.file, q.dim, 0, c.count), q.dim, s.level0Size);
        parts.push({ fp: s.slideFingerprint, size: s.level0Size, coords, features });
      }
    searched = parts.reduce((a, p) => a + p.coords.length / 2, 0);
    const matrix = new Float32Array(new SharedArrayBuffer(searched * q.dim * 4));
    const exclude = new Uint8Array(searched);
    const where: { fp: string; x: number; y: number; size: number }[] = [];
    for (const p of parts) {
      matrix.set(p.features, where.length * q.dim);
      for (let i = 0; i < p.coords.length / 2; i++) {
        if (isOwn(p.fp, p.coords[2 * i], p.coords[2 * i + 1])) exclude[where.length] = 1;
        where.push({ fp: p.fp, x: p.coords[2 * i], y: p.coords[2 * i + 1], size: p.size });
      }
    }
    const hits = await searchInWorker({ query: q.query, matrix, dim: q.dim, k: q.top, exclude, standardise: true }, { signal: r.signal });
    results = Array.from(hits.rows, (row, k) => ({ slideFingerprint: where[row].fp, x: where[row].x, y: where[row].y, size: where[row].size, mpp: q.mpp, score: hits.scores[k] }));
  } else {
    method = 'index';
    // In the index worker: catching up a big cache takes minutes of native work that must not block this thread.
    const indexDir = r.indexDir ?? searchIndexDir(service.cacheDir);
    const found = await searchCacheIndex({ cacheDir: service.cacheDir, indexDir, key, ...(r.settings ? { settings: r.settings } : {}) }, q.query, q.top, { slideFingerprint: fp, patches: [...q.own] });
    report = found.report;
    searched = found.report.size;
    results = found.hits.map((h) => ({ ...h, mpp: q.mpp }));
  }
  return {
    query: { x: q.rect.x, y: q.rect.y, width: q.width, height: q.height, mpp: q.mpp, patches: q.patches, modelId: q.model.id, slideFingerprint: fp, standardised: true },
    results,
    cache: { slides: stores.length, patches: searched, method, ...(report ? { indexAdded: report.added, ...(report.rebuilt ? { indexRebuilt: report.rebuilt } : {}) } : {}) },
    searchMs: performance.now() - t0,
  };
}
