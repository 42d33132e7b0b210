// Quality check for encoders: a logistic regression trained on one split's features, AUROC on another's.
import { predictProbabilities, trainLogisticRegression } from '../../probe/logistic-regression.js';

/** Standardises with the training set's mean and std; returns copies. */
function standardise(train: Float32Array, test: Float32Array, d: number): [Float32Array, Float32Array] {
  const n = train.length / d;
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += train[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sd[j] += (train[i * d + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  const apply = (x: Float32Array) => x.map((v, k) => (v - mean[k % d]) / sd[k % d]);
  return [apply(train), apply(test)];
}

/** Area under the ROC curve (ties counted half), for scores of positives vs negatives. */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  let pos = 0;
  for (let k = 0; k < idx.length; ) {
    let end = k;
    while (end + 1 < idx.length && scores[idx[end + 1]] === scores[idx[k]]) end++;
    const rank = (k + end) / 2 + 1;
    for (let t = k; t <= end; t++) if (labels[idx[t]] === 1) {
      rankSumPos += rank;
      pos++;
    }
    k = end + 1;
  }
  const neg = scores.length - pos;
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/** Binary linear-probe AUROC: fit on (trainX, trainY), score testX. Rows are `d` wide. */
export function linearProbeAuroc(
  trainX: Float32Array,
  trainY: Uint8Array,
  testX: Float32Array,
  testY: Uint8Array,
  d: number,
  l2 = 1e-3,
): number {
  const [tr, te] = standardise(trainX, testX, d);
  const { model } = trainLogisticRegression(tr, trainY.length, d, trainY, 2, { l2, maxIterations: 300 });
  const p = predictProbabilities(model, te, testY.length);
  const scores = Array.from({ length: testY.length }, (_, i) => p[i * 2 + 1]);
  return auroc(scores, testY);
}
