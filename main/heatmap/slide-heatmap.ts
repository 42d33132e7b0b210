// A slide + a probe file → per-patch probabilities, embedding what the probe needs.
import { applyProbe, checkEncoder, type PatchProbabilities } from '../probe/apply-probe.js';
import type { ProbeFile } from '../probe/probe-file.js';
import { slideEmbedder, type SlideEmbeddings } from '../probe/slide-embeddings.js';

export async function slideHeatmap(
  slidePath: string,
  probe: ProbeFile,
  options: { allTissue?: boolean; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ embeddings: SlideEmbeddings; probabilities: PatchProbabilities }> {
  const embeddings = await slideEmbedder()({ slidePath, modelId: probe.encoder.modelId, mpps: probe.magnifications, allTissue: options.allTissue, onProgress: options.onProgress });
  checkEncoder(probe, embeddings.encoder.modelId, embeddings.encoder.checksum);
  return { embeddings, probabilities: applyProbe(probe, embeddings.sets, embeddings.encoder.checksum) };
}
