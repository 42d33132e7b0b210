// What the analysis services are busy with, and which new work that forbids: one table instead of checks
// scattered over every method. Work that would change grids, caches or the encoder under running work is
// refused with `busy` (HTTP 409) and a message that says what to wait for.
import { ApiError } from './api-error.js';

/** A whole-slide tissue run in progress. */
export interface TissueRun {
  controller: AbortController;
  done: Promise<unknown>;
}

export type AnalysisWork = 'train' | 'tissue-run' | 'switch-encoder' | 'set-pixel-size' | 'import-model';

export class WorkLocks {
  /** The probe being trained (one at a time). */
  training: Promise<unknown> | null = null;
  /** The encoder switch in progress. */
  switching: Promise<unknown> | null = null;
  /** Whole-slide runs by slide id. */
  readonly runs = new Map<string, TissueRun>();
  /** The model import in progress (one at a time); aborted on close. */
  modelImport: { controller: AbortController; done: Promise<unknown> } | null = null;

  /** Throws `busy` when `work` (on `slideId`, where it concerns one slide) may not start now. */
  check(work: AnalysisWork, slideId?: string): void {
    const busy = (message: string): never => {
      throw new ApiError('busy', message, 409);
    };
    const slideRun = slideId !== undefined && this.runs.has(slideId);
    switch (work) {
      case 'train':
        if (this.training) busy('A probe is already training: wait for it to finish');
        if (slideRun) busy('This slide is being embedded whole: wait for it to finish or cancel it');
        if (this.switching) busy('The encoder is switching: try again in a moment');
        return;
      case 'tissue-run':
        if (slideRun) busy('This slide is already being embedded whole');
        if (this.training) busy('A probe is training: wait for it to finish');
        if (this.switching) busy('The encoder is switching: try again in a moment');
        return;
      case 'switch-encoder':
        if (this.training) busy('A probe is training: switch the encoder when it has finished');
        if (this.runs.size > 0) busy('A slide is being embedded whole: cancel it or wait before switching');
        if (this.switching) busy('The encoder is already switching');
        return;
      case 'set-pixel-size':
        if (this.training) busy('A probe is training: wait for it to finish');
        if (slideRun) busy('This slide is being embedded whole: cancel that first');
        return;
      case 'import-model':
        if (this.modelImport) busy('A model is being imported: wait for it to finish');
        return;
    }
  }

  /** Whether viewport embedding must wait (it resumes when the work ends). */
  holdsViewport(slideId: string): boolean {
    return this.training !== null || this.switching !== null || this.runs.has(slideId);
  }
}
