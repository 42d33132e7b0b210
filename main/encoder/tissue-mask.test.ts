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

test('tissue fractions from the block summed-area table are exact counts of the mask, for any rectangle', { skip: skipWithoutShared }, async () => {
  const slide = await openSlide(shared('data', 'slides', 'CMU-1-Small-Region.svs'));
  try {
    const mask = await detectTissue(slide);
    const d = mask.downsample;
    // The same fraction counted pixel by pixel, as tissueFraction defines it.
    const brute = (x: number, y: number, w: number, h: number): number => {
      const clamp = (v: number, hi: number) => Math.max(0, Math.min(hi, Math.round(v)));
      const x0 = clamp(x / d, mask.width);
      const y0 = clamp(y / d, mask.height);
      const x1 = Math.max(x0, clamp((x + w) / d, mask.width));
      const y1 = Math.max(y0, clamp((y + h) / d, mask.height));
      if (x1 === x0 || y1 === y0) return 0;
      let n = 0;
      for (let v = y0; v < y1; v++) for (let u = x0; u < x1; u++) n += mask.data[v * mask.width + u];
      return n / Math.max((x1 - x0) * (y1 - y0), ((x + w) / d - x / d) * ((y + h) / d - y / d) * 0.5);
    };
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n;
    const { width, height } = slide.levels[0];
    const rects: [number, number, number, number][] = [
      [0, 0, width, height],
      [-100, -100, 300, 300],
      [width - 50, height - 70, 400, 400],
      [500, 600, 16, 16],
      [500, 600, 5, 3],
    ];
    for (let i = 0; i < 300; i++) rects.push([rand(width) - 100, rand(height) - 100, 1 + rand(900), 1 + rand(900)]);
    for (const [x, y, w, h] of rects) assert.equal(mask.tissueFraction(x, y, w, h), brute(x, y, w, h), `${x}, ${y}, ${w} × ${h}`);
  } finally {
    await slide.close();
  }
});
