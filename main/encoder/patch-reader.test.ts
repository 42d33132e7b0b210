import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSlide } from '../slide/open-slide.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { PatchReader, levelForGrid, sourceForGrid } from './patch-reader.js';
import { cellsInRect, patchGrid, patchOrigin, slideScale } from './patch-grid.js';

const cmu = shared('data', 'slides', 'CMU-1-Small-Region.svs');

test('grid geometry: patches of 224 px at the target mpp, aligned to the origin', () => {
  const grid = patchGrid(1, { mpp: 0.25, assumed: false });
  assert.equal(grid.level0Size, 896);
  assert.deepEqual(patchOrigin(grid, 2, 3), [1792, 2688]);
  assert.deepEqual(cellsInRect(grid, { x: 800, y: 0, width: 200, height: 10 }, 5000, 5000), [[0, 0], [1, 0]]);
  assert.deepEqual(cellsInRect(grid, { x: 4000, y: 0, width: 2000, height: 10 }, 4500, 5000), [[4, 0], [5, 0]]);
  assert.deepEqual(slideScale({ mpp: null }), { mpp: 0.5, assumed: true, source: 'assumed' });
  assert.deepEqual(slideScale({ mpp: null }, { mpp: 0.25, source: 'user' }), { mpp: 0.25, assumed: false, source: 'user' });
  assert.equal(levelForGrid({ levels: [{ downsample: 1 }, { downsample: 4 }, { downsample: 16 }] as any }, grid), 1);
  // With power-of-two shrinks of JPEG tiles: the coarsest (level, shrink) still at least as fine as the grid.
  const levels = [{ downsample: 1, tileWidth: 240, tileHeight: 240 }, { downsample: 3, tileWidth: 256, tileHeight: 256 }] as any;
  assert.deepEqual(sourceForGrid({ levels }, grid), { level: 0, shrink: 4 });
  assert.deepEqual(sourceForGrid({ levels }, patchGrid(1, { mpp: 0.33, assumed: false })), { level: 1, shrink: 1 });
  assert.deepEqual(sourceForGrid({ levels: [{ downsample: 1, tileWidth: 250, tileHeight: 250 }] as any }, grid), { level: 0, shrink: 2 });
  // At equal scale a stored level wins over a finer level shrunk (a quarter of the pixels to decode).
  const pyramid = [1, 2, 4].map((downsample) => ({ downsample, tileWidth: 256, tileHeight: 256 })) as any;
  assert.deepEqual(sourceForGrid({ levels: pyramid }, patchGrid(0.5, { mpp: 0.25, assumed: false })), { level: 1, shrink: 1 });
  assert.deepEqual(sourceForGrid({ levels: pyramid }, patchGrid(2, { mpp: 0.25, assumed: false })), { level: 2, shrink: 2 });
});

test('a patch at the slide scale is readRegion; at half the scale it is readRegion averaged 2×2', { skip: skipWithoutShared }, async () => {
  const slide = await openSlide(cmu);
  try {
    const scale = slideScale(slide);
    assert.equal(scale.assumed, false);
    const out = new Uint8Array(224 * 224 * 3);
    // mpp 0.5 on a 0.499 µm/px slide: 224.4 level-0 px, read as 224 px with no resampling.
    const fine = new PatchReader(slide, patchGrid(0.5, scale));
    await fine.read(600, 900, out);
    const region = await slide.readRegion(0, 600, 900, 224, 224);
    for (let p = 0; p < 224 * 224; p++) for (let c = 0; c < 3; c++) assert.equal(out[p * 3 + c], region.data[p * 4 + c]);
    // mpp 1: 449 level-0 px, read from the level-0 JPEG tiles box-shrunk by 2 (224 px, no resampling).
    const coarse = new PatchReader(slide, patchGrid(1, scale));
    assert.deepEqual([coarse.level, coarse.shrink, coarse.levelSize], [0, 2, 224]);
    await coarse.read(600, 900, out);
    const big = await slide.readRegion(0, 600, 900, 449, 449);
    let diff = 0;
    for (let y = 0; y < 224; y++) {
      for (let x = 0; x < 224; x++) {
        for (let c = 0; c < 3; c++) {
          // Box average of the 2×2 level-0 pixels this patch pixel covers.
          let s = 0;
          for (let yy = 2 * y; yy < 2 * y + 2; yy++) for (let xx = 2 * x; xx < 2 * x + 2; xx++) s += big.data[(yy * 449 + xx) * 4 + c];
          diff += Math.abs(out[(y * 224 + x) * 3 + c] - s / 4);
        }
      }
    }
    const meanDiff = diff / (224 * 224 * 3);
    assert.ok(meanDiff < 0.5, `mean |patch − box average| = ${meanDiff.toFixed(2)}`);
    // A patch over the right edge is white outside the image.
    await fine.read(2100, 0, out);
    const inside = 2220 - 2100;
    assert.deepEqual([out[(10 * 224 + inside + 5) * 3], out[(10 * 224 + 223) * 3 + 2]], [255, 255]);
  } finally {
    await slide.close();
  }
});
