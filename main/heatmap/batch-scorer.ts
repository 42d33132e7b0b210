// Scores the patches one embedded batch makes scorable, and only those: the probe is linear (standardise,
// matmul, softmax per patch), so a patch's probabilities depend on its own feature row alone. With several
// magnifications a row is the finest patch's features followed by each coarser patch's whose centre is
// nearest (as `probe/assemble-features.ts` concatenates them), so a batch at the finest magnification
// scores its patches whose coarser patches are embedded, and a batch at a coarser one scores the finest
// patches it completes. Features are read from the embedding stores (`get(x, y)`), never copied whole.
import { gridStep } from '../common/grid-step.js';
import { predictProbabilities, type LogisticRegressionModel } from '../probe/logistic-regression.js';
import { probeModel, type ProbeFile } from '../probe/probe-file.js';
import { applyStandardisation, type Standardisation } from '../probe/standardise.js';

/** One magnification's embedded patches, on the heatmap's grid. */
export interface FeatureLookup {
  mpp: number;
  grid: { level0Size: number; level0Stride?: number };
  dim: number;
  /** Features of the patch with top-left level-0 (x, y), or undefined when it is not embedded. */
  get(x: number, y: number): Float32Array | undefined;
}

export interface ScoredPatches {
  /** [n·2] top-left level-0 px of finest-grid patches. */
  coords: Int32Array;
  /** [n·K] */
  probabilities: Float32Array;
}

export class BatchScorer {
  private readonly model: LogisticRegressionModel;
  private readonly standardisation: Standardisation;
  /** Finest first, then coarser (ascending µm/px), as the probe's rows are laid out. */
  private readonly lookups: FeatureLookup[];

  constructor(probe: ProbeFile, lookups: FeatureLookup[]) {
    this.lookups = [...lookups].sort((a, b) => a.mpp - b.mpp);
    const mpps = this.lookups.map((l) => l.mpp).join();
    if (mpps !== probe.magnifications.join()) throw new Error(`the probe reads ${probe.magnifications.join('+')} µm/px; lookups are at ${mpps}`);
    const dim = this.lookups.reduce((s, l) => s + l.dim, 0);
    if (dim !== probe.dim) throw new Error(`the probe reads ${probe.dim} features per patch; the lookups give ${dim}`);
    ({ model: this.model, standardisation: this.standardisation } = probeModel(probe));
  }

  /** The finest patches that batch `coords` (level-0 top-lefts at `mpp`) makes scorable, with their probabilities. */
  score(mpp: number, coords: Int32Array): ScoredPatches {
    const m = this.lookups.findIndex((l) => l.mpp === mpp);
    if (m < 0) return { coords: new Int32Array(0), probabilities: new Float32Array(0) };
    const finest = this.lookups[0];
    const t = gridStep(finest.grid);
    const candidates: number[] = [];
    const seen = new Set<string>();
    const add = (x: number, y: number) => {
      const key = `${x},${y}`;
      if (seen.has(key)) return;
      seen.add(key);
      candidates.push(x, y);
    };
    if (m === 0) {
      for (let i = 0; i < coords.length; i += 2) if (onStep(coords[i], t) && onStep(coords[i + 1], t)) add(coords[i], coords[i + 1]);
    } else {
      // Finest patches whose centre falls in this coarser patch's cell (a few around it).
      const coarse = this.lookups[m];
      const T = gridStep(coarse.grid);
      const half = finest.grid.level0Size / 2;
      const cell = coarseCell(coarse);
      for (let p = 0; p < coords.length; p += 2) {
        const I = Math.round(coords[p] / T);
        const J = Math.round(coords[p + 1] / T);
        const range = (v: number) => [Math.floor((v - T - half) / t) - 1, Math.ceil((v + coarse.grid.level0Size + T - half) / t) + 1];
        const [i0, i1] = range(I * T);
        const [j0, j1] = range(J * T);
        for (let j = Math.max(0, j0); j <= j1; j++) {
          const y = Math.round(j * t);
          if (cell(y + half) !== J) continue;
          for (let i = Math.max(0, i0); i <= i1; i++) {
            const x = Math.round(i * t);
            if (cell(x + half) === I) add(x, y);
          }
        }
      }
    }
    return this.predict(candidates);
  }

  /** Assembles the rows of the candidates that have every magnification, standardises and predicts them. */
  private predict(candidates: number[]): ScoredPatches {
    const dim = this.model.dim;
    const half = this.lookups[0].grid.level0Size / 2;
    const cells = this.lookups.slice(1).map((l) => ({ l, cell: coarseCell(l), T: gridStep(l.grid) }));
    const rows = new Float32Array((candidates.length / 2) * dim);
    const kept: number[] = [];
    for (let c = 0; c < candidates.length; c += 2) {
      const x = candidates[c];
      const y = candidates[c + 1];
      const own = this.lookups[0].get(x, y);
      if (!own) continue;
      const at = (kept.length / 2) * dim;
      rows.set(own, at);
      let offset = at + own.length;
      let complete = true;
      for (const { l, cell, T } of cells) {
        const f = l.get(Math.round(cell(x + half) * T), Math.round(cell(y + half) * T));
        if (!f) {
          complete = false;
          break;
        }
        rows.set(f, offset);
        offset += f.length;
      }
      if (complete) kept.push(x, y);
    }
    const n = kept.length / 2;
    const xs = applyStandardisation(this.standardisation, rows.subarray(0, n * dim), n, dim);
    return { coords: Int32Array.from(kept), probabilities: predictProbabilities(this.model, xs, n) };
  }
}

/** Whether level-0 v is a patch origin of a grid with step t (as `encoder/patch-grid.ts` onGrid). */
function onStep(v: number, t: number): boolean {
  return Math.round(Math.round(v / t) * t) === v;
}

/** The cell index of the coarser patch whose centre is nearest level-0 v (the rule of `assemble-features.ts`). */
function coarseCell(l: FeatureLookup): (v: number) => number {
  const s = l.grid.level0Size;
  const t = gridStep(l.grid);
  return (v) => (t === s ? Math.floor(v / s) : Math.round((v - s / 2) / t));
}
