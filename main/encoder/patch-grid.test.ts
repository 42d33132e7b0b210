import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellsInRect, checkGrid, gridStep, maxGridPatches, onGrid, overlappingStride, patchGrid, patchOrigin } from './patch-grid.js';
import { SlideError } from '../slide/slide-errors.js';

const slide = { mpp: 0.5, assumed: false };
const refused = (fn: () => unknown, pattern: RegExp) =>
  assert.throws(fn, (e: unknown) => e instanceof SlideError && e.code === 'invalid-argument' && pattern.test(e.message));

test('sizes and scales are checked against the slide before anything is allocated', () => {
  // The ordinary grids pass.
  for (const mpp of [0.5, 1, 2, 0.125]) checkGrid(patchGrid(mpp, slide, 224), slide, 100_000, 80_000);
  // Finer than a quarter of the slide's own resolution: refused, naming the value.
  refused(() => checkGrid(patchGrid(0.001, slide, 224), slide, 2220, 2967), /0\.001 µm\/px.*finer than.*0\.125/);
  refused(() => checkGrid(patchGrid(1e-6, slide, 224), slide, 2220, 2967), /0\.000001 µm\/px/);
  for (const mpp of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) refused(() => checkGrid(patchGrid(mpp, slide, 224), slide, 2220, 2967), /µm\/px/);
  // Patch sizes.
  for (const size of [0, -3, 1.5, 12000, Number.NaN]) refused(() => checkGrid(patchGrid(0.5, slide, size), slide, 2220, 2967), /patch size/);
  // A grid of more patches than the limit (a huge slide at a fine, allowed magnification).
  refused(() => checkGrid(patchGrid(0.125, slide, 16), slide, 1e6, 1e6), new RegExp(`patches.*at most ${maxGridPatches}`));
  // Slide sizes that are not sizes.
  refused(() => checkGrid(patchGrid(0.5, slide, 224), slide, Number.NaN, 10), /slide size/);
});

test('a half-patch stride: 4× the patches, every non-overlapping patch among them, rectangles hit overlapping patches', () => {
  const s = { mpp: 0.25, assumed: false };
  const plain = patchGrid(1, s, 224);
  const half = patchGrid(1, s, 224, overlappingStride(224));
  assert.equal(plain.level0Stride, undefined);
  assert.deepEqual([half.level0Size, gridStep(half)], [896, 448]);
  assert.equal(cellsInRect(half, { x: 0, y: 0, width: 8960, height: 8960 }, 8960, 8960).length, 4 * cellsInRect(plain, { x: 0, y: 0, width: 8960, height: 8960 }, 8960, 8960).length);
  for (let i = 0; i < 10; i++) {
    const [x, y] = patchOrigin(plain, i, i + 1);
    assert.deepEqual(patchOrigin(half, 2 * i, 2 * i + 2), [x, y], 'same origin on both grids');
    assert.ok(onGrid(half, x, y) && onGrid(plain, x, y));
  }
  assert.ok(onGrid(half, 448, 0) && !onGrid(plain, 448, 0), 'a half-stride patch is not on the plain grid');
  // A point at x = 1000 lies in the patches starting at 448 and 896 (each 896 wide).
  assert.deepEqual(cellsInRect(half, { x: 1000, y: 1000, width: 1, height: 1 }, 8960, 8960).map(([i]) => i).sort(), [1, 2, 1, 2].sort());
  refused(() => checkGrid(patchGrid(1, s, 224, 300), s, 8960, 8960), /stride 300 px/);
  refused(() => checkGrid(patchGrid(0.125, slide, 224, 1), slide, 100_000, 100_000), /every 1 px.*at most/);
});
