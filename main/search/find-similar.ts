// "Find more like this": the patches most similar to a query region, on its own slide and on others. The query
// is the mean embedding of the patches the region covers (a point: the patch containing it), embedded on
// demand; candidates come from the embedding cache of each slide (with `embedMissing`, every tissue patch,
// embedding what the cache lacks). Exact cosine similarity, in a worker thread; the query's own patches are
// never results. Features are standardised over the patches searched before the cosine unless asked not to.
import type { EmbeddingSet } from '../contracts/embeddings.js';
import type { EmbeddingService, EmbedProgress, SlideContext, SlideInput } from '../encoder/embedding-service.js';
import type { ModelManifest } from '../encoder/model-manifest.js';
import type { Rect } from '../encoder/patch-grid.js';
import { SlideError } from '../slide/slide-errors.js';
import { meanRow } from './cosine-search.js';
import { searchInWorker } from './search-in-worker.js';

export interface FindSimilarRequest {
  /** The slide the query is on; always searched. */
  slide: SlideInput;
  /** Level-0 px; width/height 0 (or absent) means the point (x, y): the patch containing it. */
  query: { x: number; y: number; width?: number; height?: number };
  /** Other slides to search too. */
  slides?: readonly SlideInput[];
  modelId?: string;
  /** Magnification of the patch grid (µm/px); default the model's finest. */
  mpp?: number;
  /** Results wanted (default 50). */
  top?: number;
  /** Embed every tissue patch of every slide searched that the cache lacks (default: the cache alone). */
  embedMissing?: boolean;
  /**
   * Standardise each feature over the patches searched before the cosine (default true): a feature shared by
   * all patches (stain, scanner) no longer dominates; false: the plain cosine of the raw embeddings.
   */
  standardise?: boolean;
  signal?: AbortSignal;
  /** Embedding progress: `slide` indexes [request.slide, ...request.slides]. */
  onProgress?: (p: EmbedProgress & { slide: number }) => void;
}

export interface SimilarPatch {
  /** Index of the slide: 0 the query's slide, 1… `slides` in order. */
  slide: number;
  /** Level-0 top-left corner and side. */
  x: number;
  y: number;
  size: number;
  mpp: number;
  /** Cosine similarity with the query, in [-1, 1]. */
  score: number;
}

export interface FindSimilarResult {
  query: { x: number; y: number; width: number; height: number; mpp: number; patches: number; modelId: string; slideFingerprint: string; standardised: boolean };
  results: SimilarPatch[];
  /** Patches searched (candidates before excluding the query's own), per slide. */
  searched: number[];
  /** Slide fingerprints, in the order of `slide` indices. */
  slideFingerprints: string[];
  searchMs: number;
}

export const defaultTop = 50;

export interface QueryEmbedding {
  model: ModelManifest;
  mpp: number;
  top: number;
  /** The level-0 box searched (a point as a 1 × 1 box) and the size asked. */
  rect: Rect;
  width: number;
  height: number;
  /** The query slide, opened. */
  ctx: SlideContext;
  /** Mean embedding of the patches the query covers, and how many. */
  query: Float32Array;
  patches: number;
  dim: number;
  /** "x,y" of the query's own patches (never results). */
  own: Set<string>;
}

/** Checks the request and embeds its query (every patch it covers, glass too: the user chose it). */
export async function embedQuery(service: EmbeddingService, r: Pick<FindSimilarRequest, 'slide' | 'query' | 'modelId' | 'mpp' | 'top' | 'signal' | 'onProgress'>): Promise<QueryEmbedding> {
  const model = r.modelId === undefined ? (service.model ?? (await service.useModel())) : service.model?.id === r.modelId ? service.model : await service.useModel(r.modelId);
  const mpp = r.mpp ?? Math.min(...model.magnifications);
  const top = r.top ?? defaultTop;
  if (!Number.isInteger(top) || top < 1) throw new SlideError('invalid-argument', `--top ${top} is not a whole number ≥ 1`);
  const { x, y } = r.query;
  const w = r.query.width ?? 0;
  const h = r.query.height ?? 0;
  if (![x, y, w, h].every(Number.isFinite) || w < 0 || h < 0) throw new SlideError('invalid-argument', `query ${x},${y},${w},${h} is not a point or a rectangle`);
  const rect: Rect = w > 0 && h > 0 ? { x, y, width: w, height: h } : { x, y, width: 1, height: 1 };
  const ctx = await service.slide(r.slide);
  const [querySet] = await service.embed(ctx, { mpps: [mpp], region: rect, includeBackground: true, signal: r.signal, onProgress: r.onProgress && ((p) => r.onProgress!({ ...p, slide: 0 })) });
  const nq = querySet.coords.length / 2;
  if (nq === 0) throw new SlideError('invalid-argument', `query ${x},${y},${w},${h} covers no patch of the slide`);
  const dim = querySet.dim;
  const query = meanRow(querySet.features, dim, Array.from({ length: nq }, (_, i) => i));
  const own = new Set<string>();
  for (let k = 0; k < querySet.coords.length; k += 2) own.add(`${querySet.coords[k]},${querySet.coords[k + 1]}`);
  return { model, mpp, top, rect, width: w, height: h, ctx, query, patches: nq, dim, own };
}

export async function findSimilar(service: EmbeddingService, r: FindSimilarRequest): Promise<FindSimilarResult> {
  const { model, mpp, top, rect, width: w, height: h, query, patches: nq, dim, own, ctx: ctx0 } = await embedQuery(service, r);
  const ctxs: SlideContext[] = [ctx0];
  for (const input of r.slides ?? []) ctxs.push(await service.slide(input));
  // Each slide once (the same file twice, or the query's slide in --slides).
  const unique = ctxs.map((c, i) => ctxs.findIndex((d) => d.fingerprint === c.fingerprint) === i);

  const sets: (EmbeddingSet | undefined)[] = [];
  for (let s = 0; s < ctxs.length; s++) {
    if (!unique[s]) {
      sets.push(undefined);
      continue;
    }
    r.signal?.throwIfAborted();
    const [set] = r.embedMissing
      ? await service.embed(ctxs[s], { mpps: [mpp], signal: r.signal, onProgress: r.onProgress && ((p) => r.onProgress!({ ...p, slide: s })) })
      : await service.cached(ctxs[s], { mpps: [mpp] });
    sets.push(set);
  }
  const n = sets.reduce((a, s) => a + (s ? s.coords.length / 2 : 0), 0);
  const matrix = new Float32Array(new SharedArrayBuffer(n * dim * 4));
  const exclude = new Uint8Array(n);
  const slideOf = new Int32Array(n);
  const rowOf = new Int32Array(n);
  let at = 0;
  sets.forEach((set, s) => {
    if (!set) return;
    matrix.set(set.features, at * dim);
    for (let i = 0; i < set.coords.length / 2; i++, at++) {
      slideOf[at] = s;
      rowOf[at] = i;
      if (s === 0 && own.has(`${set.coords[2 * i]},${set.coords[2 * i + 1]}`)) exclude[at] = 1;
    }
  });
  const hits = await searchInWorker({ query, matrix, dim, k: top, exclude, standardise: r.standardise !== false }, { signal: r.signal });
  const results: SimilarPatch[] = Array.from(hits.rows, (row, k) => {
    const set = sets[slideOf[row]]!;
    const i = rowOf[row];
    return { slide: slideOf[row], x: set.coords[2 * i], y: set.coords[2 * i + 1], size: set.grid.level0Size, mpp, score: hits.scores[k] };
  });
  return {
    query: { x: rect.x, y: rect.y, width: w, height: h, mpp, patches: nq, modelId: model.id, slideFingerprint: ctxs[0].fingerprint, standardised: r.standardise !== false },
    results,
    searched: sets.map((s) => (s ? s.coords.length / 2 : 0)),
    slideFingerprints: ctxs.map((c) => c.fingerprint),
    searchMs: hits.searchMs,
  };
}
