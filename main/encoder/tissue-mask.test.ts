import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSlide } from '../slide/open-slide.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { detectTissue, otsuThreshold } from './tissue-mask.js';
import { cellsInRect, patchGrid, patchOrigin, slideScale } from './patch-grid.js';

test('Otsu splits a bimodal histogram between its modes', () => {
  const h = new Array(256).fill(0);
  for (let v = 5; v < 15; v++) h[v] = 100;
  for (let v = 100; v < 120; v++) h[v] = 50;
  const t = otsuThreshold(h);
  assert.ok(t > 14 && t <= 100, `threshold ${t}`);
});

test('on CMU-1-Small-Region, glass patches are skipped and tissue patches kept', { skip: skipWithoutShared }, async () => {
  const slide = await openSlide(shared('data', 'slides', 'CMU-1-Small-Region.svs'));
  try {
    const mask = await detectTissue(slide);
    const grid = patchGrid(0.5, slideScale(slide));
    const { width, height } = slide.levels[0];
    let agree = 0;
    let glass = 0;
    let tissue = 0;
    const cells = cellsInRect(grid, { x: 0, y: 0, width, height }, width, height);
    for (const [i, j] of cells) {
      const [x, y] = patchOrigin(grid, i, j);
      // Ground truth from the patch's own pixels: share of clearly stained (saturated, not white) pixels.
      const r = await slide.readRegion(0, x, y, 224, 224);
      let stained = 0;
      let inside = 0;
      for (let p = 0; p < r.data.length; p += 4) {
        if (r.data[p + 3] === 0) continue;
        inside++;
        const max = Math.max(r.data[p], r.data[p + 1], r.data[p + 2]);
        const min = Math.min(r.data[p], r.data[p + 1], r.data[p + 2]);
        if ((max - min) / max > 0.2 && max < 235) stained++;
      }
      const frac = stained / (224 * 224);
      const kept = mask.isTissue(x, y, grid.level0Size);
      if (frac < 0.01) {
        glass++;
        assert.equal(kept, false, `glass patch at ${x},${y} (stained ${frac.toFixed(3)}) was kept`);
      } else if (frac > 0.3) {
        tissue++;
        assert.equal(kept, true, `tissue patch at ${x},${y} (stained ${frac.toFixed(3)}) was skipped`);
      }
      if (kept === frac > 0.05) agree++;
      void inside;
    }
    assert.ok(glass > 20 && tissue > 20, `glass ${glass}, tissue ${tissue}`);
    assert.ok(agree / cells.length > 0.85, `agreement ${agree}/${cells.length}`);
  } finally {
    await slide.close();
  }
});
