// A slide + a probe file → per-patch probabilities: the probe's encoder's embeddings of all tissue
// (embedding what the cache lacks), or only of what the cache already holds.
import { isModelError } from '../encoder/model-errors.js';
import { applyProbe, checkEncoder, type PatchProbabilities } from '../probe/apply-probe.js';
import { ProbeFileError, type ProbeFile } from '../probe/probe-file.js';
import type { SlideEmbedder, SlideEmbeddingProgress, SlideEmbeddings } from '../probe/slide-embeddings.js';

export interface SlideHeatmapOptions {
  /** Embed every tissue patch; otherwise score the patches already in the embedding cache. */
  allTissue?: boolean;
  /** Patch px between patch origins; default half the patch (overlapping, as the app draws heatmaps). */
  stride?: number;
  signal?: AbortSignal;
  onProgress?: (p: SlideEmbeddingProgress) => void;
}

export async function slideHeatmap(
  embedder: SlideEmbedder,
  slidePath: string,
  probe: ProbeFile,
  options: SlideHeatmapOptions = {},
): Promise<{ embeddings: SlideEmbeddings; probabilities: PatchProbabilities }> {
  // Refuse another encoder (or other weights under the same id) before any embedding work.
  const encoder = await embedder.encoder(probe.encoder.modelId).catch((err: unknown) => {
    if (isModelError(err) && err.code === 'not-found') {
      throw new ProbeFileError(`this probe was trained on encoder "${probe.encoder.modelId}", which is not installed: ${err.message}`);
    }
    throw err;
  });
  checkEncoder(probe, encoder.modelId, encoder.checksum);
  const embeddings = await embedder.embed({
    slidePath,
    modelId: probe.encoder.modelId,
    mpps: probe.magnifications,
    allTissue: options.allTissue,
    stride: options.stride,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  checkEncoder(probe, embeddings.encoder.modelId, embeddings.encoder.checksum);
  const probabilities = applyProbe(probe, embeddings.sets, embeddings.encoder.checksum);
  if (probabilities.n === 0 && !options.allTissue) {
    throw new Error(
      `the embedding cache holds no patches of this slide for encoder "${probe.encoder.modelId}" at ${probe.magnifications.join(' + ')} µm/px: ` +
        'use --all-tissue to embed its tissue (or `tessera embed` first)',
    );
  }
  return { embeddings, probabilities };
}
