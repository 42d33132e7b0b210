// The heatmap against the sample slide's known tumours (bench/heatmap-quality.bench.ts prints the figures):
// overlapping patches, smooth display and the tissue mask must beat the plain patch grid, keep four
// tumours four regions, and never colour glass.
// At 2 µm/px a patch is 448 µm (1792 level-0 px) and tumours 1 and 2 come within 287 µm (1150 px) of each
// other: no patch fits between them, every patch centred in the gap is ≥ 26 % tumour, and the probe (trained
// on patches that at this size are themselves part normal) calls patches of ≥ ~20 % tumour tumour. So the two
// merge there, in the raster itself (the two cells across the gap both score ≥ 0.97), whatever the contouring:
// a resolution limit of the patch, not a defect. The floor at 2 µm/px therefore allows a merge only between
// tumours closer than a patch side, and requires every tumour to be found.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { SAMPLE_SLIDE } from '../sample/sample-slide.js';
import { sampleHeatmapQuality, sampleTumourGaps, type HeatmapQuality } from './testing/sample-heatmap-quality.js';

const line = (q: HeatmapQuality) =>
  `${q.pipeline}: heatmap Dice ${q.heatmapDice.toFixed(3)}, regions Dice ${q.regionsDice.toFixed(3)}, ${q.regions} regions (tumours in ${q.tumourRegion.join(', ')}), ${(100 * q.onGlass).toFixed(1)} % on glass`;

/** Level-0 px of a 224 px patch at `mpp` µm/px. */
const patchSide = (mpp: number) => (224 * mpp) / SAMPLE_SLIDE.mpp;

/** Tumour pairs (0-based) sharing one exported region. */
function merged(q: HeatmapQuality): [number, number][] {
  const out: [number, number][] = [];
  for (let a = 0; a < q.tumourRegion.length; a++) for (let b = a + 1; b < q.tumourRegion.length; b++) if (q.tumourRegion[a] === q.tumourRegion[b]) out.push([a, b]);
  return out;
}

test('sample slide at 1 µm/px: Dice floors, four regions for four tumours, nothing on glass', async () => {
  process.env.TESSERA_EP ??= 'cpu';
  const cacheDir = tempDir('heatmap-quality-test');
  const before = await sampleHeatmapQuality('before', cacheDir);
  const after = await sampleHeatmapQuality('after', cacheDir);
  const info = `${line(before)}; ${line(after)}`;
  assert.equal(after.patches > 3 * before.patches, true, `4× the patches with the half-patch stride (${info})`);
  assert.ok(after.heatmapDice >= 0.82, info);
  assert.ok(after.regionsDice >= 0.82, info);
  assert.ok(after.heatmapDice > before.heatmapDice + 0.05, info);
  assert.ok(after.regionsDice > before.regionsDice + 0.03, info);
  assert.equal(after.regions, 4, info);
  assert.equal(new Set(after.tumourRegion).size, 4, `each tumour in its own region (${info})`);
  assert.ok(after.tumourRegion.every((r) => r >= 0), info);
  assert.equal(after.onGlass, 0, info);
  assert.ok(before.onGlass > 0.05, `the plain grid paints glass (${info})`);
});

test('sample slide at 2 µm/px: every tumour found, merged only where no patch fits between, Dice floors, nothing on glass', async () => {
  process.env.TESSERA_EP ??= 'cpu';
  const cacheDir = tempDir('heatmap-quality-test-2');
  const before = await sampleHeatmapQuality('before', cacheDir, [2]);
  const after = await sampleHeatmapQuality('after', cacheDir, [2]);
  const info = `${line(before)}; ${line(after)}`;
  const side = patchSide(2);
  const gaps = sampleTumourGaps();
  // The one pair closer than a patch side: tumours 1 and 2 (the others are ≥ 4,600 px apart).
  assert.deepEqual(gaps.filter((g) => g.gap < side).map((g) => [g.a, g.b]), [[0, 1]], JSON.stringify(gaps));
  assert.ok(after.tumourRegion.every((r) => r >= 0), `every tumour's centre lies in a region (${info})`);
  for (const [a, b] of merged(after)) {
    const gap = gaps.find((g) => g.a === a && g.b === b)!.gap;
    assert.ok(gap < side, `tumours ${a + 1} and ${b + 1} merged though ${Math.round(gap)} px apart, more than a ${side} px patch (${info})`);
  }
  assert.ok(after.regions >= 3, info);
  assert.ok(after.heatmapDice >= 0.68, info);
  assert.ok(after.regionsDice >= 0.68, info);
  assert.ok(after.heatmapDice > before.heatmapDice + 0.02, info);
  assert.equal(after.onGlass, 0, info);
  assert.ok(before.onGlass > 0.05, `the plain grid paints glass (${info})`);
});
