import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitProbe } from './fit-probe.js';
import { fitProbeInWorker } from './fit-probe-in-worker.js';
import { groupedFolds } from './grouped-folds.js';
import { rocCurve } from './metrics.js';
import { syntheticBlobs } from './testing/synthetic-blobs.js';

test('AUROC: perfect, inverted, ties', () => {
  assert.equal(rocCurve([0.9, 0.8, 0.1, 0.2], [1, 1, 0, 0]).auroc, 1);
  assert.equal(rocCurve([0.1, 0.2, 0.9, 0.8], [1, 1, 0, 0]).auroc, 0);
  assert.equal(rocCurve([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0]).auroc, 0.5);
  assert.equal(rocCurve([0.9, 0.7, 0.8, 0.1], [1, 1, 0, 0]).auroc, 0.75);
});

test('grouped folds: no group spans two folds; warns when groups are fewer than folds', () => {
  const groups = Int32Array.from({ length: 100 }, (_, i) => Math.floor(i / 7));
  const labels = Int32Array.from(groups, (g) => g % 2);
  const { fold, k } = groupedFolds(groups, labels, ['a', 'b'], 5);
  assert.equal(k, 5);
  for (let i = 1; i < 100; i++) if (groups[i] === groups[i - 1]) assert.equal(fold[i], fold[i - 1]);
  const few = groupedFolds(Int32Array.from([0, 0, 1, 1, 2]), Int32Array.from([0, 0, 1, 1, 0]), ['a', 'b'], 5);
  assert.equal(few.k, 3);
  assert.match(few.warnings[0], /only 3 annotation regions/);
  assert.equal(groupedFolds(Int32Array.from([0, 0]), Int32Array.from([0, 1]), ['a', 'b'], 5).k, 0);
});

test('fitProbe: grouped CV metrics and a final model; in a worker gives the same weights', async () => {
  const { x, labels } = syntheticBlobs(900, 16, 3, 1, 5);
  const groups = Int32Array.from({ length: 900 }, (_, i) => Math.floor(i / 30) * 3 + (i % 3));
  const input = { x, n: 900, dim: 16, labels, groups, classNames: ['Tumour', 'Stroma', 'Normal'] };
  const fitted = fitProbe(input);
  const cv = fitted.crossValidation!;
  assert.equal(cv.folds, 5);
  assert.deepEqual(cv.perClass.map((c) => c.count), [300, 300, 300]);
  for (const c of cv.perClass) assert.ok(c.auroc > 0.95, `${c.name} ${c.auroc}`);
  assert.ok(cv.accuracy > 0.85);
  const inWorker = await fitProbeInWorker(input);
  assert.deepEqual(Array.from(inWorker.model.weights), Array.from(fitted.model.weights));
  assert.throws(() => fitProbe({ ...input, labels: new Int32Array(900) }), /at least two classes/);
});
