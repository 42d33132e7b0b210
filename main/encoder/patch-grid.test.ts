import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkGrid, maxGridPatches, patchGrid } from './patch-grid.js';
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
