// A probe's result on an open slide, for heatmaps and exports: the use case "apply a probe to a slide" run
// with the encoder the app uses (a probe of another encoder is refused), and what the result assumed.
import type { HeatmapProvenance } from '../contracts/analysis.js';
import { analysisAssumptions, probeSlideNames, trainedOnSlide } from '../heatmap/assumptions.js';
import { applyProbeToSlide, type ProbeOnSlide } from '../usecases/apply-probe-to-slide.js';
import type { AnalysisCore, SlideState } from './analysis-core.js';
import type { NamedProbe } from './analysis-probes.js';
import { apiErrorOfDomain } from './domain-errors.js';

export interface ProbeResult extends ProbeOnSlide {
  probe: NamedProbe;
}

/** The probe's probabilities on what the cache holds of this slide (or, `allTissue`, on all its tissue). */
export async function probeResult(
  core: AnalysisCore,
  s: SlideState,
  probeId: unknown,
  allTissue = false,
  onProgress?: (done: number, total: number) => void,
): Promise<ProbeResult> {
  const { probe } = await core.probes.get(probeId);
  const current = await core.encoder();
  const totals = new Map<number, { done: number; total: number }>();
  try {
    const result = await applyProbeToSlide(core.embedder, s.path, probe, {
      current,
      allTissue,
      requirePatches: false, // an empty heatmap is an answer in the app; exports say so themselves
      onProgress:
        onProgress &&
        ((p) => {
          totals.set(p.mpp, p);
          const t = [...totals.values()];
          onProgress(
            t.reduce((a, x) => a + x.done, 0),
            t.reduce((a, x) => a + x.total, 0),
          );
        }),
    });
    return { probe, ...result };
  } catch (err) {
    throw apiErrorOfDomain(err) ?? err;
  }
}

/** What a heatmap of `probe` on slide `s` assumed, and the probe it names. */
export function probeProvenance(core: AnalysisCore, probeId: string, r: ProbeResult): { probe: HeatmapProvenance; assumptions: string[] } {
  const fingerprint = r.embeddings.slideFingerprint;
  return {
    probe: {
      probeId,
      name: r.probe.name ?? r.probe.classes.map((c) => c.name).join(' vs '),
      trainedOn: probeSlideNames(r.probe),
      trainedOnThisSlide: trainedOnSlide(r.probe, fingerprint),
    },
    assumptions: analysisAssumptions({ probe: r.probe, slideFingerprint: fingerprint, scale: r.embeddings.scale, model: core.embeddings.model }),
  };
}
