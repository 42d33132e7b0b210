// "Suggest what to label next" for the app: the patches where the slide's probe is least certain
// (`search/uncertain-patches.ts`), on what the cache holds of the slide, spread over it, leaving out patches
// already labelled (their centre inside an annotation) and the ones the user dismissed this session.
// Accepting one is the renderer's job (an undoable annotation, then trainProbe); this keeps the dismissals.
import { geometryContains, isAreal } from '../common/geometry.js';
import type { Annotation } from '../annotations/annotation-model.js';
import type { LabelSuggestions } from '../contracts/analysis.js';
import type { PatchProbabilities } from '../probe/apply-probe.js';
import { defaultSpacing, defaultSuggestionCount, uncertainPatches } from '../search/uncertain-patches.js';
import { ApiError } from './api-error.js';

export interface SuggestionDeps {
  /** The probe the slide shows (null: none). */
  activeProbe: (slideId: string) => string | null;
  /** The probe's class probabilities on what the cache holds of the slide (AnalysisService.probabilities). */
  probabilities: (slideId: string, probeId: string) => Promise<PatchProbabilities>;
  /** The slide's annotations now. */
  annotations: (slideId: string) => Promise<readonly Annotation[]>;
}

export const maxSuggestions = 100;

const finite = (v: unknown, name: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ApiError('invalid-argument', `"${name}" must be a finite number`);
  return v;
};

export class LabelSuggester {
  /** Dismissed patch corners ("x,y") per slide id, for this session. */
  private readonly dismissed = new Map<string, Set<string>>();

  constructor(private readonly deps: SuggestionDeps) {}

  async suggest(slideId: string, params: Record<string, unknown>): Promise<LabelSuggestions> {
    const count = params.count === undefined ? defaultSuggestionCount : params.count;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > maxSuggestions)
      throw new ApiError('invalid-argument', `Parameter "count" must be a whole number from 1 to ${maxSuggestions}`);
    if (params.probeId !== undefined && typeof params.probeId !== 'string') throw new ApiError('invalid-argument', 'Parameter "probeId" must be a string');
    const probeId = params.probeId ?? this.deps.activeProbe(slideId);
    if (!probeId) throw new ApiError('invalid-argument', 'Train or choose a probe for this slide first: suggestions are where it is least sure', 409);
    const p = await this.deps.probabilities(slideId, probeId);
    const areal = (await this.deps.annotations(slideId)).filter((a) => isAreal(a.geometry));
    const gone = this.dismissed.get(slideId) ?? new Set<string>();
    const half = p.level0Size / 2;
    let dismissed = 0;
    let labelled = 0;
    const exclude = (x: number, y: number): boolean => {
      if (gone.has(`${x},${y}`)) {
        dismissed++;
        return true;
      }
      if (areal.some((a) => geometryContains(a.geometry, x + half, y + half))) {
        labelled++;
        return true;
      }
      return false;
    };
    const suggestions = uncertainPatches(p, { count, exclude });
    return {
      slideId,
      probeId,
      classNames: p.classNames,
      suggestions: suggestions.map((s) => ({ ...s, mpp: p.mpp })),
      spacing: defaultSpacing(p, count),
      scored: p.n,
      dismissed,
      labelled,
    };
  }

  dismiss(slideId: string, params: Record<string, unknown>): { dismissed: number } {
    const x = finite(params.x, 'x');
    const y = finite(params.y, 'y');
    const set = this.dismissed.get(slideId) ?? new Set<string>();
    set.add(`${x},${y}`);
    this.dismissed.set(slideId, set);
    return { dismissed: set.size };
  }

  /** A slide was closed: its dismissals go with it. */
  forget(slideId: string): void {
    this.dismissed.delete(slideId);
  }
}
