import assert from 'node:assert/strict';
import { test } from 'node:test';
import { predictProbabilities, trainLogisticRegression } from './logistic-regression.js';
import { syntheticBlobs } from './testing/synthetic-blobs.js';

test('LR: separable 3-class blobs are learned; probabilities sum to 1; sum-to-zero weights', () => {
  const { x, labels } = syntheticBlobs(600, 5, 3, 3, 1);
  const { model, summary } = trainLogisticRegression(x, 600, 5, labels, 3);
  assert.ok(summary.converged);
  const p = predictProbabilities(model, x, 600);
  let correct = 0;
  for (let i = 0; i < 600; i++) {
    const row = Array.from(p.subarray(i * 3, i * 3 + 3));
    assert.ok(Math.abs(row[0] + row[1] + row[2] - 1) < 1e-5);
    if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
  }
  assert.ok(correct / 600 > 0.97, `accuracy ${correct / 600}`);
  for (let j = 0; j < 5; j++) assert.ok(Math.abs(model.weights[j] + model.weights[5 + j] + model.weights[10 + j]) < 1e-9);
});

test('LR: matches the optimality condition of the symmetric L2 problem (gradient ≈ 0 at tight tolerance)', () => {
  const { x, labels } = syntheticBlobs(400, 4, 3, 0.7, 2);
  const l2 = 0.01;
  const { model } = trainLogisticRegression(x, 400, 4, labels, 3, { l2, gradientTolerance: 1e-9, maxIterations: 1000 });
  const p = predictProbabilities(model, x, 400);
  // ∂/∂W_kj = mean_i (p_ik − y_ik) x_ij + l2·W_kj must vanish for every class, including the last.
  for (let k = 0; k < 3; k++) {
    for (let j = 0; j < 4; j++) {
      let g = 0;
      for (let i = 0; i < 400; i++) g += ((p[i * 3 + k] - (labels[i] === k ? 1 : 0)) * x[i * 4 + j]) / 400;
      g += l2 * model.weights[k * 4 + j];
      assert.ok(Math.abs(g) < 1e-5, `gradient ${g} at class ${k} feature ${j}`);
    }
  }
});

test('LR: two classes, odd dimension, n not a multiple of the row block', () => {
  const { x, labels } = syntheticBlobs(203, 7, 2, 2, 3);
  const { model } = trainLogisticRegression(x, 203, 7, labels, 2);
  const p = predictProbabilities(model, x, 203);
  let correct = 0;
  for (let i = 0; i < 203; i++) if ((p[i * 2 + 1] > 0.5 ? 1 : 0) === labels[i]) correct++;
  assert.ok(correct / 203 > 0.9);
});

// Speed (target ≤ 200 ms for this size) is measured by bench/probe.bench.ts, not asserted here.
test('LR: 10,000 × 384 × 3 trains and separates the classes', () => {
  const { x, labels } = syntheticBlobs(10_000, 384, 3, 0.08, 4);
  const { model } = trainLogisticRegression(x, 10_000, 384, labels, 3);
  const p = predictProbabilities(model, x, 10_000);
  let correct = 0;
  for (let i = 0; i < 10_000; i++) {
    const row = p.subarray(i * 3, i * 3 + 3);
    if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
  }
  assert.ok(correct / 10_000 > 0.75, `${correct} of 10,000 right (chance: 1 in 3; these blobs overlap)`);
});
