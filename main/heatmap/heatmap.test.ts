import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colourMapTable, renderRaster } from './colour-maps.js';
import { onTissue, probabilityRaster, rasterSmoothAt, rasterValueAt, refineRaster } from './probability-raster.js';
import { opacityRamp } from './colour-maps.js';
import { TissueMask } from '../encoder/tissue-mask.js';
import { thresholdContours } from './threshold-contours.js';
import { gridProbabilities } from './testing/grid-probabilities.js';
import { ringArea } from '../annotations/geometry.js';

test('raster: one cell per patch, aligned to the slide origin; unscored cells are NaN', () => {
  const p = gridProbabilities(4, 3, (c, r) => (c + 10 * r) / 100);
  // Drop patch (1, 1) as if it were background.
  const keep = [...Array(12).keys()].filter((i) => i !== 5);
  const sub = { ...p, n: 11, coords: Int32Array.from(keep.flatMap((i) => [p.coords[2 * i], p.coords[2 * i + 1]])), probabilities: Float32Array.from(keep.flatMap((i) => [p.probabilities[2 * i], p.probabilities[2 * i + 1]])) };
  const r = probabilityRaster(sub, 'Tumour', { width: 2000, height: 1400 });
  assert.deepEqual([r.width, r.height, r.cellSize], [5, 4, 448]);
  // Level-0 point inside patch (3, 2) whose top-left is (1344, 896).
  assert.ok(Math.abs(rasterValueAt(r, 1344, 896) - 0.23) < 1e-6);
  assert.ok(Math.abs(rasterValueAt(r, 1344 + 447, 896 + 447) - 0.23) < 1e-6);
  assert.ok(Number.isNaN(rasterValueAt(r, 1792, 896)), 'column 4 is beyond the patches');
  assert.ok(Number.isNaN(rasterValueAt(r, 448 + 10, 448 + 10)), 'the dropped patch');
  assert.throws(() => probabilityRaster(p, 'Stroma'), /no class "Stroma"/);
});

test('render: pixel centres pick their cell; threshold makes cells transparent', () => {
  const p = gridProbabilities(2, 1, (c) => (c === 0 ? 0 : 1));
  const r = probabilityRaster(p, 'Tumour');
  const img = renderRaster(r, 8, 2, 112, { colourMap: 'magma', threshold: 0.5, smooth: false, ramp: false }); // 4 image px per patch
  const lut = colourMapTable('magma');
  assert.equal(img[3], 0, 'pixel 0 lies on the 0-probability patch, below threshold');
  assert.deepEqual([...img.subarray(4 * 4, 4 * 4 + 4)], [lut[765], lut[766], lut[767], 255], 'pixel 4 starts patch 1');
});

test('contours: a ring of tumour around a hole gives a polygon with a hole, in level-0 px', () => {
  const p = gridProbabilities(7, 7, (c, r) => (c >= 1 && c <= 5 && r >= 1 && r <= 5 && !(c === 3 && r === 3) ? 0.9 : 0.1));
  const shape = thresholdContours(probabilityRaster(p, 'Tumour'), 0.5)!;
  assert.equal(shape.coordinates.length, 1);
  const [outer, hole] = shape.coordinates[0];
  assert.ok(hole, 'has a hole');
  const xs = outer.map((q) => q[0]);
  // The 0.5 level lies halfway between cell centres: x from 1·448 to 6·448 along the straight sides.
  assert.ok(Math.abs(Math.min(...xs) - 448) < 0.01);
  assert.ok(Math.abs(Math.max(...xs) - 6 * 448) < 0.01);
  const holeArea = ringArea(hole.map((q) => [q[0], q[1]] as [number, number]));
  assert.ok(holeArea > 0 && holeArea < 448 * 448, `hole area ${holeArea}`);
  assert.equal(thresholdContours(probabilityRaster(p, 'Tumour'), 0.95), null);
});

/** Patches of 448 level-0 px every 224 (half-patch stride) on a cols × rows grid. */
function overlapping(cols: number, rows: number, prob: (c: number, r: number) => number) {
  const p = gridProbabilities(cols, rows, prob);
  for (let i = 0; i < p.coords.length; i++) p.coords[i] /= 2;
  return { ...p, level0Stride: 224 };
}

test('overlapping patches: cells of the stride, centred on patch centres', () => {
  const r = probabilityRaster(overlapping(4, 3, (c, q) => (c + 10 * q) / 100), 'Tumour', { width: 2000, height: 1400 });
  assert.deepEqual([r.cellSize, r.offset], [224, 112]);
  assert.deepEqual([r.width, r.height], [Math.ceil((2000 - 112) / 224), Math.ceil((1400 - 112) / 224)]);
  // Patch (2, 1) has its origin at (448, 224) and its centre at (672, 448): its cell is [560, 784) × [336, 560).
  assert.ok(Math.abs(rasterValueAt(r, 672, 448) - 0.12) < 1e-6);
  assert.ok(Math.abs(rasterValueAt(r, 561, 337) - 0.12) < 1e-6);
  assert.ok(Math.abs(rasterValueAt(r, 559, 448) - 0.11) < 1e-6, 'left of the cell is patch (1, 1)');
  // Smooth: at a patch centre its own value, halfway between two centres their mean.
  assert.ok(Math.abs(rasterSmoothAt(r, 672, 448) - 0.12) < 1e-6);
  assert.ok(Math.abs(rasterSmoothAt(r, 672 + 112, 448) - 0.125) < 1e-6);
  assert.ok(Number.isNaN(rasterSmoothAt(r, 1900, 448)), 'no extrapolation past the last scored cell');
});

test('tissue mask: nothing is drawn or refined on glass; the ramp fades low values', () => {
  const p = gridProbabilities(2, 1, () => 0.9);
  const r = probabilityRaster(p, 'Tumour');
  // Mask of 16 level-0 px per pixel: tissue only in the left half of patch 0.
  const mw = 56;
  const data = new Uint8Array(mw * 28);
  for (let y = 0; y < 28; y++) for (let x = 0; x < 14; x++) data[y * mw + x] = 1;
  const mask = new TissueMask(mw, 28, 16, data, 20);
  assert.equal(onTissue(mask, 100, 100), true);
  assert.equal(onTissue(mask, 300, 100), false);
  const img = renderRaster(r, 8, 4, 112, { tissue: mask, ramp: false });
  assert.equal(img[3], 255, 'pixel 0 (level-0 56) is on tissue');
  assert.equal(img[4 * 2 + 3], 0, 'pixel 2 (level-0 280) is glass');
  assert.equal(img[4 * 5 + 3], 0, 'patch 1 is all glass');
  const fine = refineRaster(r, 4, mask);
  assert.equal(fine.cellSize, 112);
  assert.ok(fine.values[0] > 0.89 && Number.isNaN(fine.values[3]));
  assert.equal(opacityRamp(0), 0);
  assert.equal(opacityRamp(0.25), 0.5);
  assert.equal(opacityRamp(0.9), 1);
  assert.equal(opacityRamp(0.5, 0.5), 0);
  const ramped = renderRaster(probabilityRaster(gridProbabilities(1, 1, () => 0.1), 'Tumour'), 1, 1, 448, {});
  assert.equal(ramped[3], Math.round(255 * 0.2), 'p = 0.1 drawn at a fifth of full opacity by default');
});

test('contours on overlapping patches land on level-0 px (offset by half a stride)', () => {
  const p = overlapping(8, 8, (c, q) => (c >= 2 && c <= 5 && q >= 2 && q <= 5 ? 0.9 : 0.1));
  const shape = thresholdContours(probabilityRaster(p, 'Tumour'), 0.5)!;
  const xs = shape.coordinates[0][0].map((q) => q[0]);
  // Cell centres of patches 1 and 2 are 112 + 224·1.5 and 112 + 224·2.5: the 0.5 level halfway, at 560.
  assert.ok(Math.abs(Math.min(...xs) - 560) < 0.01, String(Math.min(...xs)));
});
