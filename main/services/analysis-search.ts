// "Find more like this" for the app: the contract's findSimilar over main/search/find-similar.ts (query a
// box, point or annotation; this slide or every open slide; the embedding cache, the query embedded when
// missing), with how much of each slide's tissue is embedded at that grid, and regionImage for the gallery.
import { geometryBounds } from '../annotations/geometry.js';
import type { Annotation } from '../annotations/annotation-model.js';
import type { RegionImage, SimilarityCoverage, SimilarityResult } from '../contracts/analysis.js';
import type { EmbeddingService } from '../encoder/embedding-service.js';
import { findSimilar } from '../search/find-similar.js';
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
  if (scope !== 'slide' && scope !== 'open-slides')
    throw new ApiError('invalid-argument', 'Parameter "scope" must be "slide" or "open-slides"');
  const top = params.top === undefined ? 50 : params.top;
  if (typeof top !== 'number' || !Number.isInteger(top) || top < 1 || top > maxTop)
    throw new ApiError('invalid-argument', `Parameter "top" must be a whole number from 1 to ${maxTop}`);
  const mpp = params.mpp === undefined ? Math.min(...model.magnifications) : finite(params.mpp, 'mpp');
  if (!model.magnifications.includes(mpp))
    throw new ApiError('invalid-argument', `The encoder embeds at ${model.magnifications.join(', ')} µm/px, not ${mpp}`);
  const q = await queryBox(deps, params.query);
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
