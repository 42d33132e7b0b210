// "Find more like this" end to end in the browser host, on the built-in sample slide: draw a box on tumour,
// Find similar, see the ranked gallery (≥ 5 thumbnails, scores descending) and the similarity layer with
// its legend, click a match and the viewport moves there, tick 3 and add them as Tumour in one step, and one
// undo removes all three. Isolated data dir; screenshots in test-output/e2e/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

// Page functions run in the browser; the Node project has no DOM library.
declare const document: any, window: any;
import { startTesseraHost, type TesseraHost } from '../main/host/start-host.js';
import { appRoot } from '../main/services/app-paths.js';
import { ensureSampleSlide } from '../main/sample/sample-slide.js';
import { launchChromium, skipWithoutChromium } from './support/chromium.js';
import { ensureRendererBuilt } from './support/renderer-build.js';
import { actAndWaitForDrawn, waitForDrawn, collectPageErrors } from './support/viewer-page.js';

const shots = join(appRoot, 'test-output', 'e2e');

type Xy = [number, number];
// Well inside tumour 1 (ground-truth blob centred near 4550, 5930), as e2e/analysis.test.ts.
const TUMOUR_RECT = { x: 3900, y: 5300, width: 1300, height: 1300 };
const VIEW = { x: 2800, y: 3800, width: 7600, height: 6100 };

describe('find more like this in the browser host', { skip: skipWithoutChromium }, () => {
  let host: TesseraHost;
  let browser: Browser;
  let page: Page;
  let tmp: string;
  let consoleErrors: string[] = [];

  before(async () => {
    ensureRendererBuilt();
    mkdirSync(shots, { recursive: true });
    const sample = await ensureSampleSlide();
    tmp = mkdtempSync(join(tmpdir(), 'tessera-e2e-search-'));
    process.env.TESSERA_DATA_DIR = join(tmp, 'data');
    process.env.TESSERA_EP = 'cpu';
    host = await startTesseraHost({ slides: [sample], recentFile: null });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    consoleErrors = collectPageErrors(page);
    await page.goto(host.url);
    await page.waitForSelector('[data-testid="slide-tab"]');
    await waitForDrawn(page);
  });

  after(async () => {
    await page?.screenshot({ path: join(shots, 'search-zz-last.png') }).catch(() => {});
    await browser?.close();
    await host?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const toPage = (points: Xy[]): Promise<Xy[]> =>
    page.evaluate((pts: Xy[]) => {
      const viewer = window.__tessera.viewer;
      const item = viewer.world.getItemAt(0);
      const box = viewer.canvas.getBoundingClientRect();
      return pts.map(([x, y]) => {
        const p = viewer.viewport.pixelFromPoint(item.imageToViewportCoordinates(x, y, true), true);
        return [box.left + p.x, box.top + p.y] as Xy;
      });
    }, points);

  /** The level-0 centre of the view. */
  const viewCentre = (): Promise<Xy> =>
    page.evaluate(() => {
      const viewer = window.__tessera.viewer;
      const b = viewer.world.getItemAt(0).viewportToImageRectangle(viewer.viewport.getBounds(true));
      return [b.x + b.width / 2, b.y + b.height / 2] as Xy;
    });

  const annotationCount = (): Promise<number> => page.locator('[data-testid="annotation-item"]').count();
  const waitForCount = (n: number) =>
    page.waitForFunction((k) => document.querySelectorAll('[data-testid="annotation-item"]').length === k, n, { timeout: 30_000 });

  test('draw a box on tumour, find similar: gallery best first, similarity layer, fly to a match, label 3 by example, undo', { timeout: 240_000 }, async () => {
    await page.click('button[role="tab"]:has-text("Analysis")');
    await page.waitForSelector('[data-testid="analysis-panel"]');
    await actAndWaitForDrawn(page, () =>
      page.evaluate((v) => {
        const viewer = window.__tessera.viewer;
        const item = viewer.world.getItemAt(0);
        viewer.viewport.fitBounds(item.imageToViewportRectangle(v.x, v.y, v.width, v.height), true);
      }, VIEW),
    );
    // The view's tissue is embedded in the background: the candidates the search compares with.
    await page.waitForFunction(
      () => {
        const e = document.querySelector('[data-testid="embedding-progress"]');
        return e && Number(e.dataset.total) > 0 && e.dataset.done === e.dataset.total;
      },
      undefined,
      { timeout: 120_000, polling: 250 },
    );

    // Draw the box, then select it.
    await page.click('[data-testid="class-option"][data-class="Tumour"]');
    await page.click('[data-testid="tool-rectangle"]');
    const [[x0, y0], [x1, y1]] = await toPage([
      [TUMOUR_RECT.x, TUMOUR_RECT.y],
      [TUMOUR_RECT.x + TUMOUR_RECT.width, TUMOUR_RECT.y + TUMOUR_RECT.height],
    ]);
    await page.mouse.move(x0, y0);
    await page.mouse.down();
    for (let i = 1; i <= 8; i++) await page.mouse.move(x0 + ((x1 - x0) * i) / 8, y0 + ((y1 - y0) * i) / 8);
    await page.mouse.up();
    await waitForCount(1);
    await page.click('[data-testid="tool-select"]');
    await page.mouse.click((x0 + x1) / 2, (y0 + y1) / 2);
    await page.waitForFunction(() => window.__tessera.analysis.selectedId !== null);

    await page.click('[data-testid="find-similar"]');
    await page.waitForSelector('[data-testid="search-gallery"]', { timeout: 120_000 });
    const results = await page.$$eval('[data-testid="search-result"]', (els: { dataset: Record<string, string> }[]) =>
      els.map((e) => ({ score: Number(e.dataset.score), x: Number(e.dataset.x), y: Number(e.dataset.y), size: Number(e.dataset.size) })),
    );
    assert.ok(results.length >= 5, `${results.length} results`);
    for (let i = 1; i < results.length; i++) assert.ok(results[i - 1].score >= results[i].score, `scores descending at ${i}`);
    const coverage = await page.$eval('[data-testid="search-coverage"]', (e: { dataset: Record<string, string> }) => [Number(e.dataset.embedded), Number(e.dataset.tissue)]);
    assert.ok(coverage[0] > 0 && coverage[1] > 0, `coverage ${coverage}`);
    // Thumbnails arrive (region images); the similarity layer and its legend are on the viewer.
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="search-result"] img').length >= 5, undefined, { timeout: 30_000 });
    const drawn = Number(await page.getAttribute('[data-testid="similarity-layer"]', 'data-drawn'));
    assert.ok(drawn >= 5, `${drawn} matches drawn on the similarity layer`);
    assert.match((await page.textContent('[data-testid="viewer-similarity-title"]')) ?? '', /^Similarity to Tumour annotation/);
    await page.screenshot({ path: join(shots, 'search-01-gallery.png') });

    // Click a match (not the first): the viewport moves there.
    const target = results[4];
    await page.locator('[data-testid="search-result-show"]').nth(4).click();
    await page.waitForFunction(
      (t) => {
        const viewer = window.__tessera.viewer;
        const b = viewer.world.getItemAt(0).viewportToImageRectangle(viewer.viewport.getBounds(true));
        return Math.abs(b.x + b.width / 2 - (t.x + t.size / 2)) < t.size / 4 && Math.abs(b.y + b.height / 2 - (t.y + t.size / 2)) < t.size / 4;
      },
      target,
      { timeout: 15_000 },
    );
    const [cx, cy] = await viewCentre();
    assert.ok(Math.abs(cx - (target.x + target.size / 2)) < target.size / 4 && Math.abs(cy - (target.y + target.size / 2)) < target.size / 4);
    await page.screenshot({ path: join(shots, 'search-02-flown.png') });

    // Label by example: tick 3, add as Tumour in one step; one undo removes all three.
    for (const i of [0, 1, 2]) await page.locator('[data-testid="search-result-select"]').nth(i).check();
    await page.selectOption('[data-testid="search-class"]', 'Tumour');
    assert.match((await page.textContent('[data-testid="search-add"]')) ?? '', /Add 3 as Tumour/);
    await page.click('[data-testid="search-add"]');
    await waitForCount(4);
    const added = await page.evaluate(() => (window.__tessera.analysis.list as { className: string; geometry: unknown }[]).filter((a) => a.className === 'Tumour').map((a) => a.geometry));
    for (const r of results.slice(0, 3))
      assert.ok((added as { type: string; x: number; y: number; width: number }[]).some((g) => g.type === 'rectangle' && g.x === r.x && g.y === r.y && g.width === r.size), `match ${r.x},${r.y} added as its patch`);
    await page.screenshot({ path: join(shots, 'search-03-labelled.png') });
    await page.click('[data-testid="tool-pan"]');
    await page.click('[data-testid="undo"]');
    await waitForCount(1);
    assert.equal(await annotationCount(), 1, 'the drawn box stays');
    assert.deepEqual(consoleErrors, []);
  });
});
