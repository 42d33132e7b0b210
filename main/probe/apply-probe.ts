// Applies a probe to a slide's embeddings: per-patch class probabilities on the finest grid.
import type { EmbeddingSet } from '../contracts/embeddings.js';
import { assembleFeatures } from './assemble-features.js';
import { predictProbabilities } from './logistic-regression.js';
import { probeModel, ProbeFileError, type ProbeEncoder, type ProbeFile } from './probe-file.js';
import { applyStandardisation } from './standardise.js';

export interface PatchProbabilities {
  slideFingerprint: string;
  classNames: string[];
  /** Patch side in level-0 px (finest grid). */
  level0Size: number;
  /** Level-0 px between neighbouring patch origins of that grid; absent = level0Size (no overlap). */
  level0Stride?: number;
  /** µm/px of the finest grid's patches. */
  mpp: number;
  n: number;
  /** [n·2] top-left level-0 px. */
  coords: Int32Array;
  /** [n·K] */
  probabilities: Float32Array;
}

/** Throws unless the embeddings come from the encoder the probe was trained on. */
export function checkEncoder(probe: ProbeFile, modelId: string, checksum?: string | null): void {
  const want: ProbeEncoder = probe.encoder;
  if (modelId !== want.modelId) {
    throw new ProbeFileError(`this probe was trained on encoder "${want.modelId}" and cannot read embeddings of "${modelId}": embed the slide with --model ${want.modelId}`);
  }
  if (checksum && want.checksum && checksum !== want.checksum) {
    throw new ProbeFileError(`encoder "${modelId}" has different weights (sha256 ${checksum.slice(0, 12)}…) from the one this probe was trained on (${want.checksum.slice(0, 12)}…)`);
  }
}

export function applyProbe(probe: ProbeFile, sets: readonly EmbeddingSet[], encoderChecksum?: string | null): PatchProbabilities {
  const features = assembleFeatures(sets);
  checkEncoder(probe, features.modelId, encoderChecksum);
  if (features.magnifications.join() !== probe.magnifications.join()) {
    throw new ProbeFileError(`this probe reads magnifications ${probe.magnifications.join('+')} µm/px; the embeddings are at ${features.magnifications.join('+')}`);
  }
  if (features.dim !== probe.dim) throw new ProbeFileError(`this probe reads ${probe.dim} features per patch; the embeddings have ${features.dim}`);
  const { model, standardisation } = probeModel(probe);
  const xs = applyStandardisation(standardisation, features.features, features.n, features.dim);
  return {
    slideFingerprint: features.slideFingerprint,
    classNames: probe.classes.map((c) => c.name),
    level0Size: features.level0Size,
    ...(features.level0Stride !== features.level0Size ? { level0Stride: features.level0Stride } : {}),
    mpp: features.magnifications[0],
    n: features.n,
    coords: features.coords,
    probabilities: predictProbabilities(model, xs, features.n),
  };
}
