// Validates the probe on real H&E: colour mean/std features, the README's reference AUROCs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colourStats, listPcam, loadRgb } from '../encoder/testing/pcam.js';
import { skipWithoutShared } from '../testing/shared-data.js';
import { fitProbe } from './fit-probe.js';
import { predictProbabilities, trainLogisticRegression } from './logistic-regression.js';
import { rocCurve } from './metrics.js';
import { applyStandardisation, fitStandardisation } from './standardise.js';
import { carcinomaSubtypesProbeInput, listLc25000Lung, lungProbeInput } from './testing/lc25000-lung.js';

async function colourFeatures(paths: string[]): Promise<Float32Array> {
  const x = new Float32Array(paths.length * 6);
  for (let i = 0; i < paths.length; i += 16) {
    const batch = await Promise.all(paths.slice(i, i + 16).map((p) => loadRgb(p)));
    batch.forEach((rgb, k) => x.set(colourStats(rgb), (i + k) * 6));
  }
  return x;
}

test('PCam: colour mean/std probe trained on train scores AUROC ≈ 0.76 on held-out valid slides', { skip: skipWithoutShared }, async () => {
  const [train, valid] = await Promise.all([listPcam('train'), listPcam('valid')]);
  const [trX, vaX] = await Promise.all([colourFeatures(train.paths), colourFeatures(valid.paths)]);
  const s = fitStandardisation(trX, train.labels.length, 6);
  const { model } = trainLogisticRegression(applyStandardisation(s, trX, train.labels.length, 6), train.labels.length, 6, train.labels, 2);
  const p = predictProbabilities(model, applyStandardisation(s, vaX, valid.labels.length, 6), valid.labels.length);
  const auroc = rocCurve(Array.from(valid.labels, (_, i) => p[2 * i + 1]), valid.labels).auroc;
  console.log(`PCam colour mean/std AUROC (train → valid): ${auroc.toFixed(3)}`);
  assert.ok(Math.abs(auroc - 0.76) < 0.04, `AUROC ${auroc}`);
});

test('LC25000 lung: grouped-CV probe — benign vs carcinoma ≈ 1, adenocarcinoma vs squamous ≈ 0.95', { skip: skipWithoutShared }, async () => {
  const lung = await listLc25000Lung();
  assert.equal(lung.paths.length, 1245);
  const x = await colourFeatures(lung.paths);
  const three = fitProbe(lungProbeInput(lung, x, 6));
  const cv = three.crossValidation!;
  const benign = cv.perClass[2].auroc;
  console.log(`LC25000 lung colour mean/std, 5-fold grouped CV: benign-vs-rest AUROC ${benign.toFixed(3)}, accuracy ${cv.accuracy.toFixed(3)}, macro AUROC ${cv.macroAuroc.toFixed(3)}`);
  assert.ok(benign > 0.98, `benign AUROC ${benign}`);
  // The two carcinoma subtypes alone.
  const subtypes = fitProbe(carcinomaSubtypesProbeInput(lung, x, 6));
  const auroc = subtypes.crossValidation!.perClass[0].auroc;
  console.log(`LC25000 adenocarcinoma vs squamous, grouped CV AUROC ${auroc.toFixed(3)}`);
  assert.ok(Math.abs(auroc - 0.95) < 0.04, `subtype AUROC ${auroc}`);
});
