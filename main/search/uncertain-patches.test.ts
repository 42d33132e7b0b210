// Suggestions from a real probe's output: a probe fitted (fitProbe, as the app trains) on colour statistics of
// half the LC25000 carcinoma groups, applied to the other half laid out as a slide's patch grid. The
// suggestions must be the least certain patches subject to the spacing (greedy, checked against a brute
// force), spread out, never excluded ones, and wrong far more often than the probe is on average (that is
// what makes them worth labelling).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colourStats, loadRgb } from '../encoder/testing/pcam.js';
import { fitProbe } from '../probe/fit-probe.js';
import { predictProbabilities } from '../probe/logistic-regression.js';
import { applyStandardisation } from '../probe/standardise.js';
import { listLc25000Lung } from '../probe/testing/lc25000-lung.js';
import type { PatchProbabilities } from '../probe/apply-probe.js';
import { skipWithoutShared } from '../testing/shared-data.js';
import { defaultSpacing, uncertainPatches } from './uncertain-patches.js';

const SIDE = 448;
const COLS = 20;

test('uncertain patches of a real probe: least certain first, spread over the slide, the probe wrong on them more often', { skip: skipWithoutShared, timeout: 120_000 }, async () => {
  const lung = await listLc25000Lung();
  // The two carcinoma subtypes (the harder pair), one image per near-duplicate group, groups split in two.
  const first = new Map<number, number>();
  lung.groups.forEach((g, i) => lung.labels[i] !== 2 && !first.has(g) && first.set(g, i));
  const picks = [...first.values()];
  const train = picks.filter((_, k) => k % 2 === 0);
  const held = picks.filter((_, k) => k % 2 === 1);
  const features = async (idx: number[]) => {
    const x = new Float32Array(idx.length * 6);
    for (let r = 0; r < idx.length; r++) x.set(colourStats(await loadRgb(lung.paths[idx[r]], 64)), r * 6);
    return x;
  };
  const xTrain = await features(train);
  const fitted = fitProbe({ x: xTrain, n: train.length, dim: 6, labels: Int32Array.from(train, (i) => lung.labels[i]), groups: Int32Array.from(train, (i) => lung.groups[i]), classNames: ['lung_aca', 'lung_scc'] }, { folds: 2 });
  const xHeld = await features(held);
  const probabilities = predictProbabilities(fitted.model, applyStandardisation(fitted.standardisation, xHeld, held.length, 6), held.length);
  const p: PatchProbabilities = {
    slideFingerprint: 'lc25000',
    classNames: ['lung_aca', 'lung_scc'],
    level0Size: SIDE,
    mpp: 0.5,
    n: held.length,
    coords: Int32Array.from({ length: 2 * held.length }, (_, k) => (k & 1 ? Math.floor((k >> 1) / COLS) : (k >> 1) % COLS) * SIDE),
    probabilities,
  };
  const truth = Int32Array.from(held, (i) => lung.labels[i]);
  const wrong = (i: number) => (probabilities[2 * i + 1] > probabilities[2 * i] ? 1 : 0) !== truth[i];
  const margins = Float32Array.from({ length: p.n }, (_, i) => Math.abs(probabilities[2 * i] - probabilities[2 * i + 1]));
  const rowOf = (x: number, y: number) => (y / SIDE) * COLS + x / SIDE;

  const count = 12;
  const spacing = defaultSpacing(p, count);
  assert.ok(spacing >= 2 * SIDE);
  const got = uncertainPatches(p, { count });
  assert.equal(got.length, count);
  // Brute force: walk every patch by margin, keeping those not within `spacing` of a kept one.
  const order = Array.from({ length: p.n }, (_, i) => i).sort((a, b) => margins[a] - margins[b] || p.coords[2 * a + 1] - p.coords[2 * b + 1] || p.coords[2 * a] - p.coords[2 * b]);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.length === count) break;
    if (kept.every((j) => Math.abs(p.coords[2 * j] - p.coords[2 * i]) >= spacing || Math.abs(p.coords[2 * j + 1] - p.coords[2 * i + 1]) >= spacing)) kept.push(i);
  }
  assert.deepEqual(got.map((s) => rowOf(s.x, s.y)), kept);
  for (let a = 0; a < got.length; a++) {
    const i = rowOf(got[a].x, got[a].y);
    assert.ok(Math.abs(got[a].margin - margins[i]) < 1e-6);
    assert.equal(got[a].top.p + got[a].second.p > 0.999, true, 'two classes: the two probabilities sum to 1');
    assert.equal(got[a].top.className, probabilities[2 * i + 1] > probabilities[2 * i] ? 'lung_scc' : 'lung_aca');
    if (a > 0) assert.ok(got[a].margin >= got[a - 1].margin, 'least certain first');
    for (let b = 0; b < a; b++) assert.ok(Math.abs(got[a].x - got[b].x) >= spacing || Math.abs(got[a].y - got[b].y) >= spacing, 'spread out');
  }
  // Spacing 0: simply the least certain patches in order (on this layout the spacing changes the answer).
  const dense = uncertainPatches(p, { count, spacing: 0 });
  assert.deepEqual(dense.map((s) => rowOf(s.x, s.y)), order.slice(0, count));

  const errorRate = Array.from({ length: p.n }, (_, i) => i).filter(wrong).length / p.n;
  const suggestedError = got.filter((s) => wrong(rowOf(s.x, s.y))).length / got.length;
  console.log(`probe error on ${p.n} held-out patches ${errorRate.toFixed(3)}; on the ${count} suggestions ${suggestedError.toFixed(3)}; spacing ${spacing.toFixed(0)} px`);
  assert.ok(suggestedError > errorRate + 0.1, `suggestions are where the probe errs: ${suggestedError} vs ${errorRate}`);

  // Excluded patches (dismissed or labelled) never come back; the next least certain takes their place.
  const dismissed = new Set(got.slice(0, 3).map((s) => `${s.x},${s.y}`));
  const after = uncertainPatches(p, { count, exclude: (x, y) => dismissed.has(`${x},${y}`) });
  assert.ok(!after.some((s) => dismissed.has(`${s.x},${s.y}`)));
  assert.equal(after.length, count);

  assert.throws(() => uncertainPatches(p, { count: 0 }), /whole number/);
  assert.throws(() => uncertainPatches({ ...p, classNames: ['one'] }), /two classes/);
});
