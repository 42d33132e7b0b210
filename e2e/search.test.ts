// "Find more like this" end to end in the browser host, on the built-in sample slide: draw a box on tumour,
// Find similar, see the ranked gallery (≥ 5 thumbnails, scores descending) and the similarity layer with
// its legend, click a match and the viewport moves there, tick 3 and add them as Tumour in one step, and one
// undo removes all three. Then "suggest what to label next" (train a probe, accept a suggestion with its key:
// one more annotation, a new probe and heatmap; dismiss one with X: it does not come back), and the whole-cache
// scope (two byte-different copies of the sample in the cache, not open, one since deleted: named under their
// thumbnails, the deleted one marked missing, Open on the other opens it). Isolated data dir; screenshots in
// test-output/e2e/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

// Page functions run in the browser; the Node project has no DOM library.
declare const document: any, window: any;
import { startTesseraHost, type TesseraHost } from '../main/host/start-host.js';
import { appRoot } from '../main/services/app-paths.js';
import { ensureSampleSlide } from '../main/sample/sample-slide.js';
import { EmbeddingService } from '../main/encoder/embedding-service.js';
import { onGrid } from '../main/encoder/patch-grid.js';
import { searchIndexDir, SlideSources } from '../main/search/slide-sources.js';
import { SAMPLE_NORMAL_RECTS } from './support/analysis-page.js';
import { drawRectangles, fitView, pageCoords, type Xy } from './support/slide-drawing.js';
import { launchChromium, skipWithoutChromium } from './support/chromium.js';
import { ensureRendererBuilt } from './support/renderer-build.js';
import { actAndWaitForDrawn, waitForDrawn, collectPageErrors } from './support/viewer-page.js';

const shots = join(appRoot, 'test-output', 'e2e');

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
    // Two earlier-session slides in the cache: byte-different copies of the sample (same tissue, other
    // fingerprints), their tumour region embedded and their paths recorded as a search records them; one deleted.
    const cacheDir = join(tmp, 'data', 'embeddings');
    const service = new EmbeddingService({ cacheDir, dataDir: null });
    try {
      const model = await service.useModel();
      const sources = new SlideSources(searchIndexDir(cacheDir));
      for (const name of ['twin.tif', 'gone.tif']) {
        const path = join(tmp, name);
        copyFileSync(sample, path);
        appendFileSync(path, Buffer.from(name)); // trailing bytes: readers ignore them, the fingerprint does not
        await service.embed(path, { mpps: [Math.min(...model.magnifications)], region: { x: 3600, y: 5000, width: 1900, height: 1900 } });
        await sources.record([{ slideFingerprint: (await service.slide(path)).fingerprint, path }]);
      }
    } finally {
      await service.close();
    }
    rmSync(join(tmp, 'gone.tif'));
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

  const toPage = (points: Xy[]): Promise<Xy[]> => pageCoords(page, points);

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

  test('suggest what to label: train a probe, accept one with its key (annotation + new probe + heatmap), dismiss one with X', { timeout: 240_000 }, async () => {
    await fitView(page, VIEW); // the last test flew to a match
    await drawRectangles(page, 'Normal', SAMPLE_NORMAL_RECTS);
    await waitForCount(1 + SAMPLE_NORMAL_RECTS.length);
    await page.click('[data-testid="tool-pan"]');
    await page.click('[data-testid="train-probe"]');
    await page.waitForSelector('[data-testid="probe-metrics"]', { timeout: 60_000 });
    const probe0 = await page.evaluate(() => window.__tessera.analysis.probeId as string);
    await page.waitForFunction((id) => window.__tessera.analysis.raster?.probeId === id, probe0, { timeout: 60_000 });

    await page.click('[data-testid="suggest-open"]');
    await page.waitForSelector('[data-testid="suggest-gallery"]', { timeout: 60_000 });
    const suggestions = await page.$$eval('[data-testid="suggestion"]', (els: { dataset: Record<string, string> }[]) =>
      els.map((e) => ({ x: Number(e.dataset.x), y: Number(e.dataset.y), margin: Number(e.dataset.margin) })),
    );
    assert.ok(suggestions.length >= 3, `${suggestions.length} suggestions`);
    for (let i = 1; i < suggestions.length; i++) assert.ok(suggestions[i - 1].margin <= suggestions[i].margin, 'least certain first');
    assert.match((await page.textContent('[data-testid="suggest-keys"]')) ?? '', /1\s*Tumour.*2\s*Normal.*X\s*dismiss/s);
    await page.screenshot({ path: join(shots, 'search-04-suggestions.png') });

    // Key 1 accepts the focused (first) suggestion as Tumour: one more annotation, a retrained probe drawn.
    const first = suggestions[0];
    const before = await annotationCount();
    await page.focus('[data-testid="suggest-gallery"]');
    await page.keyboard.press('1');
    await waitForCount(before + 1);
    const added = await page.evaluate(() => (window.__tessera.analysis.list as { className: string; geometry: { type: string; x: number; y: number } }[]).map((a) => ({ c: a.className, ...a.geometry })));
    assert.ok(added.some((a) => a.c === 'Tumour' && a.type === 'rectangle' && a.x === first.x && a.y === first.y), 'the suggestion became a Tumour patch annotation');
    await page.waitForFunction((id) => {
      const a = window.__tessera.analysis;
      return a.probeId !== id && a.raster?.probeId === a.probeId;
    }, probe0, { timeout: 120_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid="suggest-summary"]')?.dataset.accepted === '1', undefined, { timeout: 60_000 });
    await page.waitForSelector('[data-testid="suggest-gallery"]');

    // X dismisses the focused one; refreshed, it does not come back.
    const current = await page.$eval('[data-testid="suggestion"][aria-selected="true"]', (e: { dataset: Record<string, string> }) => `${e.dataset.x},${e.dataset.y}`);
    await page.focus('[data-testid="suggest-gallery"]');
    await page.keyboard.press('x');
    await page.waitForFunction((k) => ![...document.querySelectorAll('[data-testid="suggestion"]')].some((e: { dataset: Record<string, string> }) => `${e.dataset.x},${e.dataset.y}` === k), current);
    await page.click('[data-testid="suggest-open"]');
    await page.waitForFunction(() => /1 dismissed/.test(document.querySelector('[data-testid="suggest-summary"]')?.textContent ?? ''), undefined, { timeout: 60_000 });
    const after = await page.$$eval('[data-testid="suggestion"]', (els: { dataset: Record<string, string> }[]) => els.map((e) => `${e.dataset.x},${e.dataset.y}`));
    assert.ok(!after.includes(current), 'a dismissed suggestion stays away');
    assert.ok(!after.includes(`${first.x},${first.y}`), 'an accepted one is labelled now');
    await page.screenshot({ path: join(shots, 'search-05-suggested.png') });
    assert.deepEqual(consoleErrors, []);
  });

  test('whole-cache scope: closed cached slides named under their thumbnails, a deleted one marked missing, Open opens one', { timeout: 240_000 }, async () => {
    await fitView(page, VIEW);
    const [[x0, y0], [x1, y1]] = await toPage([
      [TUMOUR_RECT.x, TUMOUR_RECT.y],
      [TUMOUR_RECT.x + TUMOUR_RECT.width, TUMOUR_RECT.y + TUMOUR_RECT.height],
    ]);
    await fitAndSelect(x0, y0, x1, y1);
    await page.selectOption('[data-testid="search-scope"]', 'cache');
    await page.click('[data-testid="find-similar"]');
    await page.waitForSelector('[data-testid="search-cache"]', { timeout: 120_000 });
    assert.equal(await page.getAttribute('[data-testid="search-cache"]', 'data-slides'), '3');
    assert.match((await page.textContent('[data-testid="search-cache"]')) ?? '', /1 open.*1 slide file not found/s);
    const names = await page.$$eval('[data-testid="search-result-slide"]', (els: { textContent: string }[]) => els.map((e) => e.textContent.trim()));
    assert.ok(names.includes('twin.tif') && names.includes('gone.tif'), `slides named: ${[...new Set(names)]}`);
    assert.ok((await page.locator('[data-testid="search-result-missing"]').count()) > 0, 'the deleted copy is marked missing');
    const cells = await page.$$eval('[data-testid="search-result"]', (els: { dataset: Record<string, string> }[]) => els.map((e) => [Number(e.dataset.x), Number(e.dataset.y), Number(e.dataset.size)]));
    assert.ok(cells.every(([x, y, size]) => onGrid({ level0Size: size }, x, y)), 'the non-overlapping grid only (no half-shifted copies of the query)');
    // Thumbnails of the closed copy came with the result.
    const openButtons = page.locator('[data-testid="search-result-open"]');
    assert.ok((await openButtons.count()) > 0);
    await page.screenshot({ path: join(shots, 'search-06-cache.png') });
    await openButtons.first().click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="slide-tab"]').length === 2, undefined, { timeout: 60_000 });
    assert.deepEqual(consoleErrors, []);
  });

  /** Selects the annotation drawn over (x0, y0)–(x1, y1) (page px) with the select tool. */
  async function fitAndSelect(x0: number, y0: number, x1: number, y1: number): Promise<void> {
    await page.click('[data-testid="tool-select"]');
    await page.mouse.click(x0 + (x1 - x0) * 0.3, y0 + (y1 - y0) * 0.3);
    await page.waitForFunction(() => window.__tessera.analysis.selectedId !== null);
    await page.click('[data-testid="tool-pan"]');
  }
});
