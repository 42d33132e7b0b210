// The heatmap against the sample slide's known tumours (bench/heatmap-quality.bench.ts prints the figures):
// overlapping patches, smooth display and the tissue mask must beat the plain patch grid, keep four
// tumours four regions, and never colour glass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { sampleHeatmapQuality } from './testing/sample-heatmap-quality.js';

test('sample slide at 1 µm/px: Dice floors, four regions for four tumours, nothing on glass', async () => {
  process.env.TESSERA_EP ??= 'cpu';
  const cacheDir = tempDir('heatmap-quality-test');
  const before = await sampleHeatmapQuality('before', cacheDir);
  const after = await sampleHeatmapQuality('after', cacheDir);
  const line = (q: typeof before) => `${q.pipeline}: heatmap Dice ${q.heatmapDice.toFixed(3)}, regions Dice ${q.regionsDice.toFixed(3)}, ${q.regions} regions, ${(100 * q.onGlass).toFixed(1)} % on glass`;
  const info = `${line(before)}; ${line(after)}`;
  assert.equal(after.patches > 3 * before.patches, true, `4× the patches with the half-patch stride (${info})`);
  assert.ok(after.heatmapDice >= 0.82, info);
  assert.ok(after.regionsDice >= 0.82, info);
  assert.ok(after.heatmapDice > before.heatmapDice + 0.05, info);
  assert.ok(after.regionsDice > before.regionsDice + 0.03, info);
  assert.equal(after.regions, 4, info);
  assert.equal(after.onGlass, 0, info);
  assert.ok(before.onGlass > 0.05, `the plain grid paints glass (${info})`);
});
