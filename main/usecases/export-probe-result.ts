// Use case "export a probe's result on a slide": the heatmap (PNG, pyramidal TIFF, over the slide or bare),
// regions GeoJSON, per-patch CSV or the HTML report, each saying what the analysis assumed. The CLI
// (`tessera heatmap`, `tessera cohort heatmap`) and the app's export dialog both come through here.
import type { ModelManifest } from '../encoder/model-manifest.js';
import { exportHeatmap, type HeatmapExportOptions } from '../export/export-heatmap.js';
import type { ExportFormat } from '../export/write-export.js';
import { analysisAssumptions } from '../heatmap/assumptions.js';
import type { ProbeFile } from '../probe/probe-file.js';
import type { ProbeOnSlide } from './apply-probe-to-slide.js';

/** What the caller chooses; the slide frame, probabilities, tissue mask and assumptions come from the result. */
export type ProbeResultExportOptions = Omit<HeatmapExportOptions, 'slide' | 'probe' | 'probabilities' | 'tissue' | 'assumptions'>;

/** What the analysis of `probe` on this slide assumed (pixel size, a probe from another slide, a model's magnification). */
export function probeResultAssumptions(probe: ProbeFile, result: ProbeOnSlide, model: Pick<ModelManifest, 'id' | 'checkpoint'> | undefined): string[] {
  const { slideFingerprint, scale } = result.embeddings;
  return analysisAssumptions({ probe, slideFingerprint, scale, model });
}

export async function exportProbeResult(
  path: string,
  probe: ProbeFile,
  result: ProbeOnSlide,
  model: Pick<ModelManifest, 'id' | 'checkpoint'> | undefined,
  options: ProbeResultExportOptions,
): Promise<{ format: ExportFormat; assumptions: string[] }> {
  const assumptions = probeResultAssumptions(probe, result, model);
  const format = await exportHeatmap(path, {
    ...options,
    slide: result.embeddings.frame,
    probe,
    probabilities: result.probabilities,
    tissue: result.embeddings.tissue,
    assumptions,
  });
  return { format, assumptions };
}
