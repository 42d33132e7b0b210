// "Import model…" with a timm checkpoint, end to end in the browser host, on the built-in sample slide: the
// snapshot folder of a tiny random ViT (../shared/models/checkpoints/timm-vit-s16) is read, its preview shows
// the architecture line, the licence, the 96-d width and what was assumed; it is converted with fp16 weights
// and an edited name while the host keeps serving tiles, the progress runs to "done", the model is listed
// and used; then two regions of two classes are drawn with the mouse, a probe is trained on the imported
// model's embeddings and its heatmap is drawn. Isolated data dir; screenshots in test-output/e2e/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { shared, skipWithoutShared } from '../main/testing/shared-data.js';
import { skipWithoutChromium } from './support/chromium.js';
import { e2eShots as shots, startHostSession, type HostSession } from './support/host-session.js';
import { drawRectangles, fitView, waitForAnnotationCount, type Rect } from './support/slide-drawing.js';
import { SAMPLE_NORMAL_RECTS, SAMPLE_TUMOUR_RECT, SAMPLE_VIEW, openAnalysisPanel, waitForViewEmbedded } from './support/analysis-page.js';

// Page functions run in the browser; the Node project has no DOM library.
declare const document: any, window: any, performance: any, MutationObserver: any;

const snapshot = shared('models', 'checkpoints', 'timm-vit-s16');
const MODEL_ID = 'timm-vit-s16';
// Inside the first ground-truth tumour, and normal tissue well away from any tumour (as in analysis.test.ts).
const NORMAL_RECT: Rect = SAMPLE_NORMAL_RECTS[0];

describe('importing a timm checkpoint in the browser host', { skip: skipWithoutChromium || skipWithoutShared }, () => {
  let session: HostSession;
  let page: Page;
  let consoleErrors: string[] = [];

  before(async () => {
    session = await startHostSession({ name: 'checkpoint' });
    ({ page, errors: consoleErrors } = session);
    await openAnalysisPanel(page, 'baseline-notice');
  });

  after(() => session?.close('checkpoint-import-zz-last.png'));

  const text = async (testid: string) => ((await page.textContent(`[data-testid="${testid}"]`)) ?? '').trim();

  test('reads the snapshot folder and previews what it found, the licence first', async () => {
    await page.click('[data-testid="toggle-models"]');
    await page.waitForSelector('[data-testid="model-item"]');
    await page.click('[data-testid="import-model"]');
    await page.waitForSelector('[data-testid="model-import-dialog"]');
    await page.fill('[data-testid="model-path"]', snapshot);
    await page.click('[data-testid="model-propose"]');
    await page.waitForSelector('[data-testid="checkpoint-preview"]', { timeout: 30_000 });

    assert.match(await text('checkpoint-architecture'), /^ViT 2×96, 3 heads, patch 16 at 224 px/);
    assert.match(await text('checkpoint-licence'), /Licence\s*unknown \(see the model card\)/);
    assert.match(await text('checkpoint-licence'), /read its licence on the model card/);
    assert.equal(await page.locator('[data-testid="checkpoint-noncommercial"]').count(), 0);
    assert.equal(await text('checkpoint-model'), 'Generic timm ViT');
    assert.equal(
      await page.locator('[data-testid="checkpoint-preset"]').count(),
      0,
      'no other known model has this shape',
    );
    assert.match(await text('checkpoint-dim'), /^96-d \(token\)/);
    assert.match(await text('checkpoint-size'), /^1\.3 MB · 0\.32 M parameters · safetensors/);
    assert.match(await text('checkpoint-assumptions'), /0\.5 µm\/px/);
    assert.match(await text('checkpoint-weights'), /fp32.*fp16/);
    // The licence sits above the architecture and the form.
    const order = await page.$$eval(
      '[data-testid="checkpoint-licence"], [data-testid="checkpoint-architecture"], [data-testid="model-manifest-form"]',
      (els: any[]) => els.map((e) => e.dataset.testid),
    );
    assert.deepEqual(order, ['checkpoint-licence', 'checkpoint-architecture', 'model-manifest-form']);

    // The editable manifest, as the conversion would write it.
    assert.equal(await page.inputValue('[data-testid="model-id"]'), MODEL_ID);
    assert.equal(await page.inputValue('[data-testid="model-dim"]'), '96');
    assert.equal(await page.inputValue('[data-testid="model-input-size"]'), '224');
    assert.equal(await page.inputValue('[data-testid="model-mpps"]'), '0.5');
    assert.equal(await page.getAttribute('[data-testid="model-dim"]', 'readonly'), '', 'fixed by the conversion');
    await page.screenshot({ path: join(shots, 'checkpoint-import-preview.png') });
  });

  test('converts it with fp16 weights and an edited name; tiles are served meanwhile; the progress runs to done', async () => {
    await page.fill('[data-testid="model-name"]', 'Tiny ViT (e2e)');
    await page.fill('[data-testid="model-licence"]', 'test only');
    await page.check('[data-testid="checkpoint-fp16"]');
    // Watch the progress bar's phases, and fetch a tile while the conversion runs.
    const tile: string = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .map((e: any) => e.name)
        .find((n: string) => /\/slides\/[0-9a-f]+_files\//.test(n)),
    );
    assert.ok(tile, 'the viewer loaded tiles');
    // (No named inner functions in page code: the test's compiler would wrap them in a helper the page lacks.)
    await page.evaluate(() => {
      window.__phases = [];
      window.__phaseObserver = new MutationObserver(() => {
        const phase = document.querySelector('[data-testid="model-import-progress"]')?.dataset.phase;
        if (phase && window.__phases.at(-1) !== phase) window.__phases.push(phase);
      });
      window.__phaseObserver.observe(document.body, {
        subtree: true,
        childList: true,
        attributes: true,
        attributeFilter: ['data-phase'],
      });
    });
    await page.click('[data-testid="model-import-submit"]');
    const tileWhileImporting = await page.evaluate(async (url: string) => {
      const init = { method: 'GET', cache: 'no-store' }; // from the host, not the browser's cache
      const r = await fetch(url, init);
      const bytes = (await r.arrayBuffer()).byteLength;
      return { ok: r.ok, bytes, importing: document.querySelector('[data-testid="model-import-done"]') === null };
    }, tile);
    assert.ok(tileWhileImporting.ok && tileWhileImporting.bytes > 0, JSON.stringify(tileWhileImporting));
    assert.equal(tileWhileImporting.importing, true, 'the tile came back before the conversion finished');

    await page.waitForSelector('[data-testid="model-import-done"]', { timeout: 60_000 });
    const phases: string[] = await page.evaluate(() => (window.__phaseObserver.disconnect(), window.__phases));
    // In order, each at most once, from reading to done, with the weights written in between.
    const order = ['reading', 'converting', 'verifying', 'done'];
    assert.deepEqual(
      phases,
      order.filter((p) => phases.includes(p)),
      phases.join(' → '),
    );
    assert.deepEqual([phases[0], phases.at(-1)], ['reading', 'done'], phases.join(' → '));
    assert.ok(phases.includes('converting'), phases.join(' → '));
    assert.equal(await page.getAttribute('[data-testid="model-import-progress"]', 'data-percent'), '100');
    assert.match(await text('model-import-done'), /Imported “Tiny ViT \(e2e\)” \(timm-vit-s16, 96-d\)/);
    await page.screenshot({ path: join(shots, 'checkpoint-import-done.png') });

    // Listed (not yet in use), with its architecture and precision in the details.
    const item = `[data-testid="model-item"][data-model-id="${MODEL_ID}"]`;
    await page.waitForSelector(item);
    assert.equal(await page.textContent(`${item} [data-testid="model-item-name"]`), 'Tiny ViT (e2e)');
    assert.equal(await page.getAttribute(item, 'data-active'), 'false');
    assert.match(
      (await page.getAttribute(`${item} .what`, 'title')) ?? '',
      /ViT 2×96.*fp16 weights[\s\S]*licence: test only/,
    );
  });

  test('uses the imported model from the dialog', async () => {
    await page.click('[data-testid="model-import-use"]');
    await page.waitForSelector('[data-testid="model-import-dialog"]', { state: 'detached', timeout: 30_000 });
    await page.waitForFunction(
      (m) => document.querySelector('[data-testid="encoder-status"]')?.dataset.modelId === m,
      MODEL_ID,
      {
        timeout: 30_000,
      },
    );
    assert.equal(await text('encoder-name'), 'Tiny ViT (e2e)');
    assert.equal(await page.locator('[data-testid="baseline-notice"]').count(), 0);
    await page.waitForSelector(`[data-testid="model-item"][data-model-id="${MODEL_ID}"][data-active="true"]`);
    await page.click('[data-testid="toggle-models"]');
  });

  test('a probe trained on its embeddings draws a heatmap', async () => {
    await fitView(page, SAMPLE_VIEW);
    const regions: [string, Rect][] = [
      ['Tumour', SAMPLE_TUMOUR_RECT],
      ['Normal', NORMAL_RECT],
    ];
    for (const [i, [cls, rect]] of regions.entries()) {
      await drawRectangles(page, cls, [rect]);
      await waitForAnnotationCount(page, i + 1);
    }
    await page.click('[data-testid="tool-pan"]');

    await page.click('[data-testid="train-probe"]');
    const metrics = await page.waitForSelector('[data-testid="probe-metrics"]', { timeout: 60_000 });
    const about = (await metrics.textContent()) ?? '';
    assert.match(about, new RegExp(`${MODEL_ID} · 0\\.5 µm/px`), about);
    const counts = await page.$$eval('[data-testid="probe-metrics"] tbody tr', (rows: any[]) =>
      rows.map((r) => [r.cells[0].textContent.trim(), Number(r.cells[1].textContent)]),
    );
    assert.deepEqual(
      counts.map(([c]) => c),
      ['Tumour', 'Normal'],
    );
    for (const [c, n] of counts) assert.ok((n as number) >= 4, `${c}: ${n} patches`);

    // The view's tissue is embedded with the imported model in the background; the heatmap fills in.
    await waitForViewEmbedded(page, { timeout: 90_000 });
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="heatmap-layer"]')?.dataset.scored) > 50,
      undefined,
      {
        timeout: 30_000,
      },
    );
    await page.waitForTimeout(800);
    const opaque = await page.evaluate(() => {
      const canvas = document.querySelector('[data-testid="heatmap-layer"]');
      const all = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < all.length; i += 4 * 16) if (all[i] > 0) n++;
      return n;
    });
    assert.ok(opaque > 1000, `non-transparent heatmap pixels: ${opaque}`);
    assert.match(await text('heatmap-scored'), /patches scored · 0\.5 µm\/px grid/);
    await page.screenshot({ path: join(shots, 'checkpoint-import-heatmap.png') });
  });

  test('the page logged no errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
