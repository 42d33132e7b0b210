// Validates the probe on real H&E: colour mean/std features, the README's reference AUROCs.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { colourStats, listPcam, loadRgb } from '../encoder/testing/pcam.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { fitProbe } from './fit-probe.js';
import { predictProbabilities, trainLogisticRegression } from './logistic-regression.js';
import { rocCurve } from './metrics.js';
import { applyStandardisation, fitStandardisation } from './standardise.js';

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
  const rows = (await readFile(shared('data', 'patches', 'lc25000-lung-groups.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
  const classNames = ['lung_aca', 'lung_scc', 'lung_n'];
  const prefix: Record<string, number> = { lungaca: 0, lungscc: 1, lungn: 2 };
  const groupIds = new Map<string, number>();
  const paths = rows.map((r) => shared('data', r[0]));
  const labels = Int32Array.from(rows, (r) => prefix[/^(lungaca|lungscc|lungn)\d/.exec(r[0].split('/').pop()!)![1]]);
  const groups = Int32Array.from(rows, (r) => groupIds.get(r[1]) ?? (groupIds.set(r[1], groupIds.size), groupIds.size - 1));
  assert.equal(paths.length, 1245);
  const x = await colourFeatures(paths);
  const three = fitProbe({ x, n: paths.length, dim: 6, labels, groups, classNames });
  const cv = three.crossValidation!;
  const benign = cv.perClass[2].auroc;
  console.log(`LC25000 lung colour mean/std, 5-fold grouped CV: benign-vs-rest AUROC ${benign.toFixed(3)}, accuracy ${cv.accuracy.toFixed(3)}, macro AUROC ${cv.macroAuroc.toFixed(3)}`);
  assert.ok(benign > 0.98, `benign AUROC ${benign}`);
  // The two carcinoma subtypes alone.
  const keep = Array.from(labels.keys()).filter((i) => labels[i] !== 2);
  const sub = new Float32Array(keep.length * 6);
  keep.forEach((i, r) => sub.set(x.subarray(i * 6, i * 6 + 6), r * 6));
  const subtypes = fitProbe({ x: sub, n: keep.length, dim: 6, labels: Int32Array.from(keep, (i) => labels[i]), groups: Int32Array.from(keep, (i) => groups[i]), classNames: classNames.slice(0, 2) });
  const auroc = subtypes.crossValidation!.perClass[0].auroc;
  console.log(`LC25000 adenocarcinoma vs squamous, grouped CV AUROC ${auroc.toFixed(3)}`);
  assert.ok(Math.abs(auroc - 0.95) < 0.04, `subtype AUROC ${auroc}`);
});
