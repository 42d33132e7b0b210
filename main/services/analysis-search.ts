// "Find more like this" for the app: the contract's findSimilar over main/search/find-similar.ts (query a
// box, point or annotation; this slide or every open slide; the embedding cache, the query embedded when
// missing) or main/search/find-in-cache.ts (scope `cache`: every cached slide, open or not, named from the
// slide-source record, with thumbnails read from the source file where it is still there), with how much of
// each open slide's tissue is embedded at that grid, and regionImage for the gallery.
import { geometryBounds } from '../annotations/geometry.js';
import type { Annotation } from '../annotations/annotation-model.js';
import type { RegionImage, SimilarityCoverage, SimilarityResult } from '../contracts/analysis.js';
import type { EmbeddingService } from '../encoder/embedding-service.js';
import type { SimilarMatch } from '../contracts/analysis.js';
import { findInCache } from '../search/find-in-cache.js';
import { findSimilar } from '../search/find-similar.js';
import { slideSourcesFor } from '../search/slide-sources.js';
import { sourceThumbnails } from '../search/source-thumbnails.js';
import { ApiError } from './api-error.js';
import type { SlideService } from './slide-service.js';

export interface SearchDeps {
  /** With its model loaded (the encoder the app uses). */
  embeddings: EmbeddingService;
  slides: SlideService;
  /** An annotation of the query's slide, by id. */
  annotation: (id: string) => Promise<Annotation | undefined>;
}

export const maxTop = 1000;

const sourcesOf = slideSourcesFor;

const finite = (v: unknown, name: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ApiError('invalid-argument', `"${name}" must be a finite number`);
  return v;
};

/** The query's level-0 box (width/height 0: a point), and what the legend calls it. */
async function queryBox(
  deps: SearchDeps,
  q: unknown,
): Promise<{ x: number; y: number; width: number; height: number; annotationId: string | null; label: string }> {
  if (q === null || typeof q !== 'object' || Array.isArray(q))
    throw new ApiError('invalid-argument', 'Parameter "query" must be {x, y, width?, height?} or {annotationId}');
  const o = q as Record<string, unknown>;
  if (o.annotationId !== undefined) {
    if (typeof o.annotationId !== 'string') throw new ApiError('invalid-argument', '"annotationId" must be a string');
    const a = await deps.annotation(o.annotationId);
    if (!a) throw new ApiError('not-found', `No annotation with id ${JSON.stringify(o.annotationId)} on this slide`, 404);
    const b = geometryBounds(a.geometry);
    const label = a.name?.trim() || `${a.className} ${a.geometry.type === 'point' ? 'point' : 'annotation'}`;
    return { x: b.minX, y: b.minY, width: b.maxX - b.minX, height: b.maxY - b.minY, annotationId: a.id, label };
  }
  const x = finite(o.x, 'query.x');
  const y = finite(o.y, 'query.y');
  const width = o.width === undefined ? 0 : finite(o.width, 'query.width');
  const height = o.height === undefined ? 0 : finite(o.height, 'query.height');
  if (width < 0 || height < 0) throw new ApiError('invalid-argument', 'The query box needs a non-negative width and height');
  const point = width === 0 || height === 0;
  const at = `${Math.round(x)}, ${Math.round(y)}`;
  return { x, y, width: point ? 0 : width, height: point ? 0 : height, annotationId: null, label: point ? `point at ${at}` : `box at ${at}` };
}

export async function searchSimilar(deps: SearchDeps, params: Record<string, unknown>): Promise<SimilarityResult> {
  const { embeddings, slides } = deps;
  const model = embeddings.model;
  if (!model) throw new ApiError('internal', 'The encoder is not loaded');
  const slideId = String(params.slideId);
  const info = slides.info(slideId);
  const scope = params.scope ?? 'slide';
  if (scope !== 'slide' && scope !== 'open-slides' && scope !== 'cache')
    throw new ApiError('invalid-argument', 'Parameter "scope" must be "slide", "open-slides" or "cache"');
  const top = params.top === undefined ? 50 : params.top;
  if (typeof top !== 'number' || !Number.isInteger(top) || top < 1 || top > maxTop)
    throw new ApiError('invalid-argument', `Parameter "top" must be a whole number from 1 to ${maxTop}`);
  const mpp = params.mpp === undefined ? Math.min(...model.magnifications) : finite(params.mpp, 'mpp');
  if (!model.magnifications.includes(mpp))
    throw new ApiError('invalid-argument', `The encoder embeds at ${model.magnifications.join(', ')} µm/px, not ${mpp}`);
  const q = await queryBox(deps, params.query);
  if (scope === 'cache') return searchCache(deps, slideId, q, mpp, top);
  const others = scope === 'open-slides' ? slides.list().filter((s) => s.id !== slideId) : [];
  const searched = [{ id: info.id, name: info.name, path: info.path }, ...others];

  const found = await findSimilar(embeddings, {
    slide: info.path,
    slides: others.map((s) => s.path),
    modelId: model.id,
    mpp,
    top,
    query: { x: q.x, y: q.y, width: q.width, height: q.height },
  });
  // Where these slides are, so a later whole-cache search can name (and open) them.
  await sourcesOf(embeddings.cacheDir).record(searched.map((x, i) => ({ slideFingerprint: found.slideFingerprints[i], path: x.path }))).catch(() => {});
  const coverage: SimilarityCoverage[] = [];
  for (let i = 0; i < searched.length; i++) {
    const ctx = await embeddings.slide(searched[i].path);
    const tissue = (await embeddings.patchesIn(ctx, embeddings.grid(ctx, mpp))).length / 2;
    coverage.push({ slideId: searched[i].id, slideName: searched[i].name, embedded: found.searched[i], tissue });
  }
  return {
    query: { slideId, ...q, mpp, patches: found.query.patches, modelId: found.query.modelId },
    results: found.results.map((r) => ({
      slideId: searched[r.slide].id,
      slideName: searched[r.slide].name,
      x: r.x,
      y: r.y,
      size: r.size,
      mpp: r.mpp,
      score: r.score,
    })),
    coverage,
    searchMs: found.searchMs,
  };
}

/** Scope `cache`: every cached slide; open ones by their id, the rest by their recorded source (or a short fingerprint). */
async function searchCache(deps: SearchDeps, slideId: string, q: Awaited<ReturnType<typeof queryBox>>, mpp: number, top: number): Promise<SimilarityResult> {
  const { embeddings, slides } = deps;
  const model = embeddings.model!;
  const open = slides.list();
  const fingerprints = new Map<string, { id: string; name: string; path: string }>();
  for (const s of open) fingerprints.set((await embeddings.slide(s.path)).fingerprint, s);
  const sources = sourcesOf(embeddings.cacheDir);
  await sources.record([...fingerprints].map(([slideFingerprint, s]) => ({ slideFingerprint, path: s.path }))).catch(() => {}); // a read-only data folder: names only
  const info = slides.info(slideId);
  const found = await findInCache(embeddings, { slide: info.path, modelId: model.id, mpp, top, query: { x: q.x, y: q.y, width: q.width, height: q.height } });
  const results: SimilarMatch[] = [];
  const closed = new Map<string, { name: string; path: string | null; exists: boolean; at: number[] }>();
  for (const r of found.results) {
    const here = fingerprints.get(r.slideFingerprint);
    if (here) {
      results.push({ slideId: here.id, slideName: here.name, slideFingerprint: r.slideFingerprint, x: r.x, y: r.y, size: r.size, mpp: r.mpp, score: r.score });
      continue;
    }
    let c = closed.get(r.slideFingerprint);
    if (!c) closed.set(r.slideFingerprint, (c = { ...(await sources.resolve(r.slideFingerprint)), at: [] }));
    c.at.push(results.length);
    results.push({ slideId: '', slideName: c.name, slideFingerprint: r.slideFingerprint, source: { path: c.path, exists: c.exists }, x: r.x, y: r.y, size: r.size, mpp: r.mpp, score: r.score });
  }
  for (const c of closed.values()) {
    if (!c.exists || !c.path) continue;
    const thumbs = await sourceThumbnails(c.path, c.at.map((i) => results[i])).catch(() => [] as (string | undefined)[]);
    c.at.forEach((i, k) => {
      if (thumbs[k]) results[i] = { ...results[i], thumbnail: thumbs[k] };
    });
  }
  const coverage: SimilarityCoverage[] = [];
  for (const s of fingerprints.values()) {
    const ctx = await embeddings.slide(s.path);
    const tissue = (await embeddings.patchesIn(ctx, embeddings.grid(ctx, mpp))).length / 2;
    const [set] = await embeddings.cached(ctx, { mpps: [mpp] });
    coverage.push({ slideId: s.id, slideName: s.name, embedded: set.coords.length / 2, tissue });
  }
  return {
    query: { slideId, ...q, mpp, patches: found.query.patches, modelId: found.query.modelId },
    results,
    coverage,
    cache: { slides: found.cache.slides, patches: found.cache.patches, method: found.cache.method, openSlides: fingerprints.size, missingSources: [...closed.values()].filter((c) => !c.exists).length },
    searchMs: found.searchMs,
  };
}

/** A region of an open slide as a JPEG data URL (longer side `size`, default 128, at most 512). */
export async function regionImage(slides: SlideService, params: Record<string, unknown>): Promise<RegionImage> {
  const slideId = String(params.slideId);
  const x = finite(params.x, 'x');
  const y = finite(params.y, 'y');
  const width = finite(params.width, 'width');
  const height = finite(params.height, 'height');
  if (width <= 0 || height <= 0) throw new ApiError('invalid-argument', 'The region needs a positive width and height');
  const size = params.size === undefined ? 128 : finite(params.size, 'size');
  if (!Number.isInteger(size) || size < 8 || size > 512) throw new ApiError('invalid-argument', 'Parameter "size" must be a whole number from 8 to 512');
  const img = await slides.region(slideId, x, y, width, height, size);
  return { dataUrl: `data:image/jpeg;base64,${img.jpeg.toString('base64')}`, width: img.width, height: img.height };
}
