// The slide embedder of the app and the CLI: the encoder runtime's EmbeddingService and its on-disk cache,
// shaped as probe training and heatmaps want it (slide frame, encoder id + weights checksum, sets per mpp).
import { EmbeddingService, type EmbeddingServiceOptions } from '../encoder/embedding-service.js';
import { overlappingStride } from '../encoder/patch-grid.js';
import type { ProbeEncoder } from '../probe/probe-file.js';
import type { SlideEmbedder, SlideEmbeddingRequest, SlideEmbeddings } from '../probe/slide-embeddings.js';

export class EncoderSlideEmbedder implements SlideEmbedder {
  constructor(readonly service: EmbeddingService) {}

  async encoder(modelId?: string): Promise<ProbeEncoder> {
    const loaded = this.service.model;
    const manifest = loaded && (modelId === undefined || loaded.id === modelId) ? loaded : await this.service.useModel(modelId);
    return { modelId: manifest.id, checksum: manifest.sha256 };
  }

  async embed(r: SlideEmbeddingRequest): Promise<SlideEmbeddings> {
    const encoder = await this.encoder(r.modelId);
    const ctx = await this.service.slide(r.slidePath);
    const onProgress = r.onProgress;
    const stride = r.stride ?? overlappingStride(this.service.model?.input.size ?? 224);
    const sets =
      r.allTissue || r.regions
        ? await this.service.embed(ctx, {
            mpps: r.mpps,
            stride,
            // Annotated regions: every patch, glass too (a "Background" annotation means glass).
            ...(r.allTissue ? {} : { regions: r.regions, includeBackground: true }),
            signal: r.signal,
            onProgress: onProgress && ((p) => onProgress({ mpp: p.mpp, done: p.done, total: p.total, cached: p.cached })),
          })
        : await this.service.cached(ctx, { mpps: r.mpps, stride });
    const l0 = ctx.reader.levels[0];
    return {
      slideFingerprint: ctx.fingerprint,
      // A pixel size the user set (or this run's override) is the one exports state; an assumed one is not stated.
      frame: { width: l0.width, height: l0.height, mpp: ctx.scale.source === 'user' || ctx.scale.source === 'override' ? { x: ctx.scale.mpp, y: ctx.scale.mpp } : ctx.reader.mpp },
      encoder,
      sets,
      tissue: await ctx.tissue,
      scale: ctx.scale,
    };
  }
}

/** Runs `fn` with an embedder over a fresh EmbeddingService (user's models and cache), closed afterwards. */
export async function withEncoderSlideEmbedder<T>(fn: (embedder: EncoderSlideEmbedder) => Promise<T>, options?: EmbeddingServiceOptions): Promise<T> {
  const service = new EmbeddingService(options);
  try {
    return await fn(new EncoderSlideEmbedder(service));
  } finally {
    await service.close();
  }
}
