// The probe part of the analysis services: training a probe on a slide's annotated regions (the use case
// the CLI's `tessera probe train` runs too), the probe library, and which probe each slide shows (never
// one from another slide unless the user picks it there).
import { isAreal } from '../annotations/geometry.js';
import type { ActiveProbe, ProbeSummary } from '../contracts/analysis.js';
import { trainProbeFromSlides } from '../probe/train-probe-from-slides.js';
import type { AnalysisCore } from './analysis-core.js';
import { checkMpps, checkPath, checkStringList } from './analysis-params.js';
import { ApiError } from './api-error.js';

export class AnalysisTraining {
  constructor(private readonly core: AnalysisCore) {}

  async trainProbe(params: { slideId?: unknown; classes?: unknown; mpps?: unknown; name?: unknown }): Promise<ProbeSummary> {
    const { core } = this;
    const s = core.state(params.slideId);
    core.locks.check('train', s.id);
    const doc = (await s.annotations).store.doc;
    const wanted = params.classes === undefined ? null : checkStringList(params.classes, 'classes');
    const areal = doc.annotations.filter((a) => isAreal(a.geometry) && (!wanted || wanted.includes(a.className)));
    const classNames = doc.classes.map((c) => c.name).filter((n) => areal.some((a) => a.className === n));
    for (const a of areal) if (!classNames.includes(a.className)) classNames.push(a.className);
    if (classNames.length < 2) {
      throw new ApiError(
        'invalid-argument',
        `Draw regions of at least two classes (e.g. Tumour and Normal) to train a probe; this slide has ${classNames.length ? `only ${classNames.join(', ')}` : 'no area annotations'}`,
      );
    }
    const encoder = await core.encoder();
    const mpps = params.mpps === undefined ? core.embeddings.model!.magnifications : checkMpps(params.mpps);
    const name = typeof params.name === 'string' && params.name.trim() ? params.name.trim() : `${classNames.join(' vs ')} · ${s.name}`;
    const task = `train:${s.id}`;
    const label = `Training probe (${classNames.join(' vs ')})`;
    const run = (async () => {
      await core.stopScheduler(s);
      const totals = new Map<number, { done: number; total: number }>();
      core.emit({ type: 'progress', task, label: `${label}: embedding annotated regions`, done: 0, total: 1 });
      const probe = await trainProbeFromSlides({
        embedder: core.embedder,
        inputs: [{ slidePath: s.path, annotations: areal, classes: doc.classes, source: s.name }],
        modelId: encoder.modelId,
        mpps,
        onProgress: (_slide, p) => {
          totals.set(p.mpp, { done: p.done, total: p.total });
          const done = [...totals.values()].reduce((a, t) => a + t.done, 0);
          const total = [...totals.values()].reduce((a, t) => a + t.total, 0);
          core.emit({ type: 'progress', task, label: `${label}: embedding annotated regions`, done, total: Math.max(total, done + 1) });
        },
      });
      core.emit({ type: 'progress', task, label: `${label}: saving`, done: 0, total: 1 });
      return core.probes.add(probe, name);
    })();
    core.locks.training = run;
    try {
      const summary = await run;
      s.probeId = summary.id; // training on a slide chooses its probe there, and nowhere else
      return summary;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError('training-failed', `Training failed: ${(err as Error).message}`, 422);
    } finally {
      core.locks.training = null;
      core.emit({ type: 'progress', task, label, done: 1, total: 1 });
      core.resume(s);
    }
  }

  listProbes(): Promise<ProbeSummary[]> {
    return this.core.probes.list();
  }

  loadProbe(path: unknown): Promise<ProbeSummary> {
    return this.core.probes.import(checkPath(path));
  }

  /** The probe a slide shows: none until the user picks one there (or trains one on it). */
  getActiveProbe(slideId: unknown): ActiveProbe {
    const s = this.core.state(slideId);
    return { slideId: s.id, probeId: s.probeId };
  }

  /** Applies a probe to this slide only (null: none); a probe from another slide is applied only this way. */
  async setActiveProbe(params: { slideId?: unknown; probeId?: unknown }): Promise<ActiveProbe> {
    const s = this.core.state(params.slideId);
    s.probeId = params.probeId === null || params.probeId === undefined ? null : (await this.core.probes.get(params.probeId)).id;
    return { slideId: s.id, probeId: s.probeId };
  }
}
