// What an analysis took for granted: a pixel size the slide does not state, a probe trained on other
// slides, a model magnification nobody confirmed. The heatmap names them on screen and the HTML report
// lists them, so no assumed value passes silently for a measured one.
import { assumedSlideMpp } from '../encoder/patch-grid.js';
import type { ModelManifest } from '../encoder/model-manifest.js';
import type { ProbeFile } from '../probe/probe-file.js';

export interface AnalysisContext {
  probe: ProbeFile;
  /** Content fingerprint of the slide the probe is applied to. */
  slideFingerprint: string;
  /** Level-0 scale used for the grids; `assumed` when the slide states none. */
  scale?: { mpp: number; assumed: boolean; source?: 'slide' | 'user' | 'override' | 'assumed' };
  /** The encoder's manifest, when loaded (its checkpoint provenance says what its import assumed). */
  model?: Pick<ModelManifest, 'id' | 'checkpoint'>;
}

/** The training slides, by file name where the probe recorded it. */
export function probeSlideNames(probe: ProbeFile): string[] {
  return probe.training.slides.map((s) => s.name ?? `slide ${s.slideFingerprint.slice(0, 12)}…`);
}

/** Whether the probe was trained (at least partly) on this slide. */
export function trainedOnSlide(probe: ProbeFile, slideFingerprint: string): boolean {
  return probe.training.slides.some((s) => s.slideFingerprint === slideFingerprint);
}

export function analysisAssumptions(c: AnalysisContext): string[] {
  const out: string[] = [];
  if (c.scale?.assumed) {
    out.push(
      `Pixel size assumed: the slide states none, so level 0 is taken as ${c.scale.mpp || assumedSlideMpp} µm/px (20×); patch magnifications ${c.probe.magnifications.join(' + ')} µm/px are approximate (set the slide's pixel size to fix this)`,
    );
  } else if (c.scale?.source === 'user' || c.scale?.source === 'override') {
    out.push(
      `Pixel size set by the user: level 0 is taken as ${c.scale.mpp} µm/px (${c.scale.source === 'user' ? "stored for this slide, not read from the file" : '--mpp-override, not read from the file'})`,
    );
  }
  if (!trainedOnSlide(c.probe, c.slideFingerprint)) {
    out.push(`Probe from another slide: trained on ${probeSlideNames(c.probe).join(', ')}, applied here without any annotation of this slide`);
  }
  for (const a of c.model?.checkpoint?.assumptions ?? []) {
    if (/µm\/px|magnification|20×/i.test(a)) out.push(`Model magnification assumed (${c.model!.id}): ${a}`);
  }
  return out;
}
