// Classification metrics for probes: one-vs-rest ROC curves and AUROC, accuracy, per-class counts.

export interface RocCurve {
  /** False and true positive rates from (0,0) to (1,1), one point per distinct score. */
  fpr: number[];
  tpr: number[];
  /**
   * The score cut of each point: point i is "positive when score ≥ thresholds[i]" (descending; the first, 2, is
   * above every probability). Lets reports state a confusion matrix at any threshold.
   */
  thresholds: number[];
  auroc: number;
}

/** ROC of `scores` for binary `positive` flags; AUROC by the trapezoid rule (ties handled). NaN when one side is empty. */
export function rocCurve(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): RocCurve {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  let P = 0;
  for (let i = 0; i < n; i++) if (positive[i]) P++;
  const N = n - P;
  if (P === 0 || N === 0) return { fpr: [0, 1], tpr: [0, 1], thresholds: [2, -1], auroc: NaN };
  const fpr = [0];
  const tpr = [0];
  const thresholds = [2];
  let tp = 0;
  let fp = 0;
  let auc = 0;
  for (let r = 0; r < n; ) {
    const s = scores[order[r]];
    const tp0 = tp;
    const fp0 = fp;
    for (; r < n && scores[order[r]] === s; r++) {
      if (positive[order[r]]) tp++;
      else fp++;
    }
    auc += ((fp - fp0) / N) * ((tp + tp0) / (2 * P));
    fpr.push(fp / N);
    tpr.push(tp / P);
    thresholds.push(s);
  }
  return { fpr, tpr, thresholds, auroc: auc };
}

export interface ClassMetrics {
  name: string;
  /** Samples of this class evaluated. */
  count: number;
  /** One-vs-rest AUROC (NaN where the class or its rest is absent). */
  auroc: number;
  /** `thresholds` (the score cut of each point, see RocCurve) is absent in probes made before it was kept. */
  roc: { fpr: number[]; tpr: number[]; thresholds?: number[] };
}

export interface ProbeMetrics {
  accuracy: number;
  /** Mean of the defined per-class AUROCs (macro average). */
  macroAuroc: number;
  perClass: ClassMetrics[];
}

/** Metrics from class probabilities [n·K] and true labels. */
export function classificationMetrics(probabilities: ArrayLike<number>, labels: ArrayLike<number>, classNames: readonly string[]): ProbeMetrics {
  const K = classNames.length;
  const n = labels.length;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (probabilities[i * K + k] > probabilities[i * K + best]) best = k;
    if (best === labels[i]) correct++;
  }
  const perClass = classNames.map((name, k) => {
    const scores = new Float64Array(n);
    const positive = new Uint8Array(n);
    let count = 0;
    for (let i = 0; i < n; i++) {
      scores[i] = probabilities[i * K + k];
      positive[i] = labels[i] === k ? 1 : 0;
      count += positive[i];
    }
    const roc = rocCurve(scores, positive);
    return { name, count, auroc: roc.auroc, roc: thinRoc(roc) };
  });
  const defined = perClass.filter((c) => Number.isFinite(c.auroc));
  const macroAuroc = defined.length ? defined.reduce((s, c) => s + c.auroc, 0) / defined.length : NaN;
  return { accuracy: n ? correct / n : NaN, macroAuroc, perClass };
}

/** At most ~200 points, enough to draw; keeps the ends. */
function thinRoc(roc: RocCurve): { fpr: number[]; tpr: number[]; thresholds: number[] } {
  const m = roc.fpr.length;
  if (m <= 200) return { fpr: roc.fpr, tpr: roc.tpr, thresholds: roc.thresholds.map(round4) };
  const fpr: number[] = [];
  const tpr: number[] = [];
  const thresholds: number[] = [];
  const step = (m - 1) / 199;
  for (let p = 0; p < 200; p++) {
    const i = Math.round(p * step);
    fpr.push(round4(roc.fpr[i]));
    tpr.push(round4(roc.tpr[i]));
    thresholds.push(round4(roc.thresholds[i]));
  }
  return { fpr, tpr, thresholds };
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
