import assert from 'node:assert/strict';
import { test } from 'node:test';
import { colourMapTable, renderRaster } from './colour-maps.js';
import { probabilityRaster, rasterValueAt } from './probability-raster.js';
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
  const img = renderRaster(r, 8, 2, 112, { colourMap: 'magma', threshold: 0.5 }); // 4 image px per patch
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
