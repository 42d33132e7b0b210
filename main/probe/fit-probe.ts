// Fits a probe on labelled rows: grouped k-fold cross-validation for honest metrics, then a final fit on all.
import { groupedFolds } from './grouped-folds.js';
import { defaultL2, predictProbabilities, trainLogisticRegression, type LogisticRegressionModel } from './logistic-regression.js';
import { classificationMetrics, type ProbeMetrics } from './metrics.js';
import { applyStandardisation, fitStandardisation, type Standardisation } from './standardise.js';

export interface FitInput {
  x: Float32Array;
  n: number;
  dim: number;
  labels: Int32Array;
  /** Region / group of each row; folds never split a group. */
  groups: Int32Array;
  classNames: readonly string[];
}

export interface FitOptions {
  folds?: number;
  l2?: number;
}

export interface FittedProbe {
  model: LogisticRegressionModel;
  standardisation: Standardisation;
  /** Out-of-fold metrics; null when cross-validation was impossible. */
  crossValidation: (ProbeMetrics & { folds: number }) | null;
  l2: number;
  warnings: string[];
  timings: { crossValidationMs: number; finalFitMs: number };
}

/** Balanced class weights n / (K · n_c), so a large class cannot drown a small one. */
export function balancedWeights(labels: Int32Array, classCount: number): Float64Array {
  const counts = new Float64Array(classCount);
  for (const y of labels) counts[y]++;
  const present = counts.filter((c) => c > 0).length;
  return Float64Array.from(labels, (y) => labels.length / (present * counts[y]));
}

function fit(x: Float32Array, n: number, d: number, labels: Int32Array, K: number, l2: number) {
  const standardisation = fitStandardisation(x, n, d);
  const xs = applyStandardisation(standardisation, x, n, d);
  const { model } = trainLogisticRegression(xs, n, d, labels, K, { l2, sampleWeights: balancedWeights(labels, K) });
  return { model, standardisation };
}

export function fitProbe(input: FitInput, options: FitOptions = {}): FittedProbe {
  const { x, n, dim: d, labels, groups, classNames } = input;
  const K = classNames.length;
  if (K < 2) throw new Error(`a probe needs at least two classes, got ${K} (${classNames.join(', ') || 'none'})`);
  const present = new Set(labels);
  if (present.size < 2) throw new Error(`a probe needs patches of at least two classes; only ${[...present].map((c) => classNames[c]).join(', ') || 'none'} has any`);
  const l2 = options.l2 ?? defaultL2;
  const warnings: string[] = [];
  const t0 = performance.now();
  const split = groupedFolds(groups, labels, classNames, options.folds ?? 5);
  warnings.push(...split.warnings);
  let crossValidation: FittedProbe['crossValidation'] = null;
  if (split.k >= 2) {
    const oof = new Float32Array(n * K);
    for (let f = 0; f < split.k; f++) {
      const train: number[] = [];
      const held: number[] = [];
      for (let i = 0; i < n; i++) (split.fold[i] === f ? held : train).push(i);
      const trX = gather(x, train, d);
      const trY = Int32Array.from(train, (i) => labels[i]);
      const { model, standardisation } = fit(trX, train.length, d, trY, K, l2);
      const p = predictProbabilities(model, applyStandardisation(standardisation, gather(x, held, d), held.length, d), held.length);
      held.forEach((i, r) => oof.set(p.subarray(r * K, r * K + K), i * K));
    }
    crossValidation = { ...classificationMetrics(oof, labels, classNames), folds: split.k };
  }
  const t1 = performance.now();
  const final = fit(x, n, d, labels, K, l2);
  const t2 = performance.now();
  return { ...final, crossValidation, l2, warnings, timings: { crossValidationMs: t1 - t0, finalFitMs: t2 - t1 } };
}

function gather(x: Float32Array, rows: number[], d: number): Float32Array {
  const out = new Float32Array(rows.length * d);
  rows.forEach((i, r) => out.set(x.subarray(i * d, i * d + d), r * d));
  return out;
}
