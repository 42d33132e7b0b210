// Use case "apply a probe to a slide": a slide + a probe → per-patch class probabilities, from the probe's
// encoder's embeddings of all tissue (embedding what the cache lacks) or only of what the cache holds.
// The CLI (`tessera heatmap`, `tessera cohort heatmap`) loads the probe's own encoder; the app passes the
// encoder it runs (`current`), which the probe must match. Both then score the same way.
import { isModelError } from '../encoder/model-errors.js';
import { applyProbe, checkEncoder, type PatchProbabilities } from '../probe/apply-probe.js';
import { ProbeFileError, type ProbeEncoder, type ProbeFile } from '../probe/probe-file.js';
import type { SlideEmbedder, SlideEmbeddingProgress, SlideEmbeddings } from '../probe/slide-embeddings.js';
import { requireProbeEncoder } from './probe-compatibility.js';

export interface ApplyProbeOptions {
  /** Embed every tissue patch; otherwise score the patches already in the embedding cache. */
  allTissue?: boolean;
  /** Patch px between patch origins; default half the patch (overlapping, as the app draws heatmaps). */
  stride?: number;
  /** The encoder the caller runs and will not switch (the app): a probe of another encoder is refused (EncoderMismatchError). */
  current?: ProbeEncoder;
  /** Refuse (with a message saying how to embed) when the cache holds nothing and `allTissue` is off; default true. */
  requirePatches?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: SlideEmbeddingProgress) => void;
}

export interface ProbeOnSlide {
  embeddings: SlideEmbeddings;
  probabilities: PatchProbabilities;
}

export async function applyProbeToSlide(embedder: SlideEmbedder, slidePath: string, probe: ProbeFile, options: ApplyProbeOptions = {}): Promise<ProbeOnSlide> {
  // Refuse another encoder (or other weights under the same id) before any embedding work.
  let encoder: ProbeEncoder;
  if (options.current) {
    requireProbeEncoder(probe, options.current);
    encoder = options.current;
  } else {
    encoder = await embedder.encoder(probe.encoder.modelId).catch((err: unknown) => {
      if (isModelError(err) && err.code === 'not-found') {
        throw new ProbeFileError(`this probe was trained on encoder "${probe.encoder.modelId}", which is not installed: ${err.message}`);
      }
      throw err;
    });
    checkEncoder(probe, encoder.modelId, encoder.checksum);
  }
  const embeddings = await embedder.embed({
    slidePath,
    modelId: encoder.modelId,
    mpps: probe.magnifications,
    allTissue: options.allTissue,
    stride: options.stride,
    signal: options.signal,
    onProgress: options.onProgress,
  });
  checkEncoder(probe, embeddings.encoder.modelId, embeddings.encoder.checksum);
  const probabilities = applyProbe(probe, embeddings.sets, embeddings.encoder.checksum);
  if (probabilities.n === 0 && !options.allTissue && options.requirePatches !== false) {
    throw new Error(
      `the embedding cache holds no patches of this slide for encoder "${probe.encoder.modelId}" at ${probe.magnifications.join(' + ')} µm/px: ` +
        'use --all-tissue to embed its tissue (or `tessera embed` first)',
    );
  }
  return { embeddings, probabilities };
}
