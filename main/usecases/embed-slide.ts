// Use case "embed a slide": the tissue patches of a slide (a region, or all tissue) embedded by the service's
// encoder at each magnification, resumable through the embedding cache, with the slide's scale (and where it
// came from) for the caller to report. `tessera embed` and `tessera cohort embed` run it; what they write
// (one file per magnification, `writeSlideEmbeddings`) is the CLAM/TRIDENT layout pipelines read.
import { resolve } from 'node:path';
import type { EmbeddingService, EmbedOptions } from '../encoder/embedding-service.js';
import { recordSlideSource } from '../search/slide-sources.js';
import type { ModelManifest } from '../encoder/model-manifest.js';
import type { EmbeddingSet } from '../contracts/embeddings.js';
import type { SlideScale } from '../encoder/patch-grid.js';
import { outputPathFor, writeEmbeddingsH5, writeEmbeddingsNpy, type EmbeddingFormat } from '../encoder/write-embeddings.js';

export interface EmbeddedSlide {
  sets: EmbeddingSet[];
  scale: SlideScale;
  model: ModelManifest;
}

/** Embeds `slidePath` with the model the service has loaded (`useModel` first). */
export async function embedSlide(service: EmbeddingService, slidePath: string, options: EmbedOptions = {}): Promise<EmbeddedSlide> {
  const sets = await service.embed(slidePath, options);
  const model = service.model;
  if (!model) throw new Error('no encoder is loaded');
  const { scale, fingerprint } = await service.slide(slidePath);
  await recordSlideSource(service.cacheDir, fingerprint, resolve(slidePath)); // names it in whole-cache search
  return { sets, scale, model };
}

/** What a user should be told about the slide's scale (it was assumed, or set by the user), or null. */
export function scaleNote(slidePath: string, scale: SlideScale): string | null {
  if (scale.assumed)
    return `warning: ${slidePath} does not state its scale; assumed level 0 = ${scale.mpp} µm/px (set it with --mpp-override, or in the app's Slide panel)`;
  if (scale.source === 'user') return `note: level 0 = ${scale.mpp} µm/px, as set for this slide in the app`;
  return null;
}

/**
 * Writes one file per magnification at `writePath(finalPath)` (the final path itself, or a temporary the
 * caller renames), named as `tessera embed --out` names them: `out`, or `<stem>.mpp-<mpp>.<ext>` for several.
 * Returns the final paths, in the order of `embedded.sets`.
 */
export async function writeSlideEmbeddings(
  out: string,
  embedded: EmbeddedSlide,
  format: EmbeddingFormat,
  writePath: (finalPath: string, k: number) => string = (p) => p,
): Promise<string[]> {
  const info = { modelSha256: embedded.model.sha256, slideMpp: embedded.scale.mpp };
  const finals: string[] = [];
  for (const [k, set] of embedded.sets.entries()) {
    const final = outputPathFor(out, set.grid.mpp, embedded.sets.length);
    const path = writePath(final, k);
    if (format === 'h5') await writeEmbeddingsH5(path, set, info);
    else await writeEmbeddingsNpy(path, set, info);
    finals.push(final);
  }
  return finals;
}
