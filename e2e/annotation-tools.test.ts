// The newer annotation tools driven with the mouse in the browser host, on the built-in sample slide: an
// ellipse (saved as its polygon, drawnWith ellipse), a ruler line whose µm label (while drawing, and on the
// saved line in the list) matches its length times the slide's MPP, and the brush eraser taking a bite out
// of a brush stroke. Isolated data dir.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

// Page functions run in the browser; the Node project has no DOM library.
declare const window: any;
import { SAMPLE_SLIDE } from '../main/sample/sample-slide.js';
import { geometryAreaPx } from '../main/annotations/geometry.js';
import type { Annotation } from '../main/annotations/annotation-model.js';
import { skipWithoutChromium } from './support/chromium.js';
import { startHostSession, type HostSession } from './support/host-session.js';
import { fitView, pageCoords, waitForAnnotationCount, type Xy } from './support/slide-drawing.js';
import { SAMPLE_VIEW, openAnalysisPanel } from './support/analysis-page.js';

describe('annotation tools: ellipse, ruler, eraser', { skip: skipWithoutChromium }, () => {
  let session: HostSession;
  let page: Page;
  let consoleErrors: string[] = [];

  before(async () => {
    session = await startHostSession({ name: 'tools' });
    ({ page, errors: consoleErrors } = session);
    await openAnalysisPanel(page);
    await fitView(page, SAMPLE_VIEW);
  });

  after(() => session?.close());

  /** Presses at the first point, moves through the rest in small steps, and (unless `hold`) releases. */
  async function drag(points: Xy[], hold = false): Promise<void> {
    const pts = await pageCoords(page, points);
    await page.mouse.move(pts[0][0], pts[0][1]);
    await page.mouse.down();
    for (let k = 1; k < pts.length; k++)
      for (let i = 1; i <= 8; i++)
        await page.mouse.move(pts[k - 1][0] + ((pts[k][0] - pts[k - 1][0]) * i) / 8, pts[k - 1][1] + ((pts[k][1] - pts[k - 1][1]) * i) / 8);
    if (!hold) await page.mouse.up();
  }

  const annotations = (): Promise<Annotation[]> =>
    page.evaluate(() => [...window.__tessera.analysis.annotations.values()].map((a: unknown) => JSON.parse(JSON.stringify(a))));
  const waitForCount = (n: number) => waitForAnnotationCount(page, n);

  test('draws an ellipse', async () => {
    await page.click('[data-testid="tool-ellipse"]');
    await drag([[4000, 5000], [5000, 5600]]);
    await waitForCount(1);
    const [a] = await annotations();
    assert.equal(a.geometry.type, 'polygon');
    assert.equal(a.geometry.type === 'polygon' && a.geometry.drawnWith, 'ellipse');
    const area = geometryAreaPx(a.geometry);
    const expected = Math.PI * 500 * 300;
    assert.ok(Math.abs(area - expected) / expected < 0.05, `area ${area} ≈ ${expected}`);
    assert.match((await page.textContent('[data-testid="annotation-item"]')) ?? '', /ellipse/);
  });

  test('measures a line in µm from the slide MPP, while drawing and once saved', async () => {
    const mpp = SAMPLE_SLIDE.mpp; // the sample's level-0 µm/px, read back by the slide engine
    await page.click('[data-testid="tool-line"]');
    await drag([[6000, 5000], [6000 + 1200, 5000 + 900]], true);
    const measuring = await page.getAttribute('[data-testid="annotation-layer"]', 'data-measure');
    await page.mouse.up();
    await waitForCount(2);
    const line = (await annotations()).find((a) => a.geometry.type === 'line')!;
    assert.ok(line, 'a line annotation');
    const pts = line.geometry.type === 'line' ? line.geometry.points : [];
    assert.equal(pts.length, 2);
    const um = Math.hypot(pts[1][0] - pts[0][0], pts[1][1] - pts[0][1]) * mpp;
    assert.ok(um > 100, `${um} µm`);
    const shown = (text: string | null) => Number(/([\d.]+) µm/.exec(text ?? '')?.[1]);
    assert.ok(Math.abs(shown(measuring) - um) / um < 0.02, `while drawing: ${measuring} vs ${um.toFixed(1)} µm`);
    const item = page.locator(`[data-testid="annotation-item"][data-id="${line.id}"]`);
    const saved = await item.textContent();
    assert.ok(Math.abs(shown(saved) - um) < 0.11, `saved: ${saved} vs ${um.toFixed(1)} µm`);
    const labels = JSON.parse((await page.getAttribute('[data-testid="annotation-layer"]', 'data-labels')) ?? '[]') as string[];
    assert.ok(labels.some((l) => Math.abs(shown(l) - um) < 0.11), `drawn on the slide: ${labels}`);
  });

  test('erases part of a brush stroke', async () => {
    await page.click('[data-testid="tool-brush"]');
    await drag([[4000, 8000], [6000, 8000]]);
    await waitForCount(3);
    const brush = (await annotations()).find((a) => a.geometry.type === 'polygon' && a.geometry.drawnWith === 'brush')!;
    assert.ok(brush, 'a brush stroke');
    const before = geometryAreaPx(brush.geometry);
    await page.click('[data-testid="tool-eraser"]');
    await drag([[5000, 7400], [5000, 8600]]); // across the middle of the stroke
    await page.waitForFunction(
      (id) => {
        const g = window.__tessera.analysis.annotations.get(id)?.geometry;
        return g && g.type === 'multipolygon';
      },
      brush.id,
    );
    const after = (await annotations()).find((a) => a.id === brush.id)!;
    assert.equal(after.geometry.type, 'multipolygon', 'cut in two');
    assert.ok(geometryAreaPx(after.geometry) < before, `${geometryAreaPx(after.geometry)} < ${before}`);
    assert.equal((await annotations()).length, 3, 'nothing else changed');
    const ellipse = (await annotations()).find((a) => a.geometry.type === 'polygon' && a.geometry.drawnWith === 'ellipse');
    assert.ok(ellipse, 'the ellipse was not under the eraser');
    assert.deepEqual(consoleErrors, []);
  });
});
