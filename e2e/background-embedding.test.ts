// Background embedding in the browser host: opening the sample slide embeds the tissue in view once the
// view settles, with the Slide tab shown (the analysis panel never mounted); the status-bar indicator shows
// the progress. Turning the "Embed the visible tissue in the background" preference off stops reporting the
// view (rect null) and is remembered. Isolated data dir.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

// Page functions run in the browser; the Node project has no DOM library.
declare const document: any, window: any, localStorage: any;
import { skipWithoutChromium } from './support/chromium.js';
import { startHostSession, type HostSession } from './support/host-session.js';
import { actAndWaitForDrawn } from './support/viewer-page.js';
import { waitForViewEmbedded } from './support/analysis-page.js';

describe('background embedding of the view', { skip: skipWithoutChromium }, () => {
  let session: HostSession;
  let page: Page;
  /** Bodies of the page's setViewport calls, in order. */
  const viewportCalls: { slideId: string; rect: unknown; mpps?: number[] }[] = [];
  let consoleErrors: string[] = [];

  before(async () => {
    session = await startHostSession({
      name: 'background',
      viewport: { width: 1280, height: 800 },
      beforeLoad: (p) =>
        void p.on('request', (r) => {
          if (r.method() === 'POST' && /\/api\/setViewport$/.test(new URL(r.url()).pathname)) {
            const body = r.postDataJSON() as { slideId?: string; rect?: unknown } | unknown[] | null;
            const arg = (Array.isArray(body) ? body[0] : body) as { slideId: string; rect: unknown; mpps?: number[] };
            viewportCalls.push({ slideId: arg?.slideId, rect: arg?.rect ?? null, mpps: arg?.mpps });
          }
        }),
    });
    ({ page, errors: consoleErrors } = session);
  });

  after(() => session?.close());

  test('embeds the visible tissue with the Slide tab shown', async () => {
    assert.equal(await page.getAttribute('button[role="tab"]:has-text("Slide")', 'aria-selected'), 'true');
    assert.equal(await page.locator('[data-testid="analysis-panel"]').count(), 0);
    await waitForViewEmbedded(page, { testid: 'embedding-status', timeout: 90_000 });
    assert.match((await page.textContent('[data-testid="embedding-status"]')) ?? '', /View embedded \d+\/\d+/);
    assert.ok(
      viewportCalls.some((c) => c.rect !== null),
      'the settled view was reported',
    );
    assert.equal(await page.locator('[data-testid="analysis-panel"]').count(), 0, 'the panel stayed closed');
  });

  test('unchecking a magnification stops its embedding, and is remembered per model', async () => {
    await page.click('button[role="tab"]:has-text("Analysis")');
    await page.locator('[data-testid="embedding-mpps"]').waitFor();
    const boxes = page.locator('[data-testid="embedding-mpp"]');
    const all = (await boxes.evaluateAll((els: { dataset: { mpp: string } }[]) => els.map((e) => Number(e.dataset.mpp)))) as number[];
    assert.ok(all.length >= 2, `${all}`);
    const dropped = Math.min(...all); // the finest: most patches
    const totalOf = () => page.evaluate(() => Number(document.querySelector('[data-testid="embedding-status"]')?.dataset.total ?? 0));
    const totalAll = await totalOf();
    const before = viewportCalls.length;
    await page.locator(`[data-testid="embedding-mpp"][data-mpp="${dropped}"]`).uncheck();
    await waitFor(() => viewportCalls.slice(before).some((c) => c.rect !== null && Array.isArray(c.mpps)));
    const call = viewportCalls.slice(before).filter((c) => c.rect !== null).at(-1)!;
    assert.deepEqual(call.mpps, all.filter((m) => m !== dropped), 'the view is embedded without it');
    // The service now counts (and embeds) only the other magnifications' patches.
    await page.waitForFunction(
      (t) => {
        const e = document.querySelector('[data-testid="embedding-status"]');
        return e && Number(e.dataset.total) > 0 && Number(e.dataset.total) < t && e.dataset.done === e.dataset.total;
      },
      totalAll,
      { timeout: 60_000, polling: 200 },
    );
    const modelId = await page.getAttribute('[data-testid="encoder-status"]', 'data-model-id');
    const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('tessera.embeddingMpps') ?? '{}'));
    assert.deepEqual(saved[modelId!], all.filter((m) => m !== dropped));
    await page.reload();
    await page.waitForSelector('[data-testid="slide-tab"]');
    await page.click('button[role="tab"]:has-text("Analysis")');
    await page.locator('[data-testid="embedding-mpps"]').waitFor();
    assert.equal(await page.locator(`[data-testid="embedding-mpp"][data-mpp="${dropped}"]`).isChecked(), false);
    await page.locator(`[data-testid="embedding-mpp"][data-mpp="${dropped}"]`).check();
    await page.click('button[role="tab"]:has-text("Slide")');
  });

  test('turning the preference off stops reporting the view, and is remembered', async () => {
    await page.click('button[role="tab"]:has-text("Analysis")');
    const box = page.locator('[data-testid="background-embedding"]');
    await box.waitFor();
    assert.equal(await box.isChecked(), true);
    const before = viewportCalls.length;
    await box.uncheck();
    await page.waitForFunction(() => localStorage.getItem('tessera.backgroundEmbedding') === 'off');
    await waitFor(() => viewportCalls.slice(before).some((c) => c.rect === null));

    // Moving the view reports nothing any more.
    await page.click('button[role="tab"]:has-text("Slide")');
    const off = viewportCalls.length;
    await actAndWaitForDrawn(page, () =>
      page.evaluate(() => window.__tessera.viewer.viewport.zoomBy(2, undefined, true)),
    );
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(
      viewportCalls.slice(off).filter((c) => c.rect !== null),
      [],
    );

    await page.reload();
    await page.waitForSelector('[data-testid="slide-tab"]');
    await page.click('button[role="tab"]:has-text("Analysis")');
    await page.locator('[data-testid="background-embedding"]').waitFor();
    assert.equal(await page.locator('[data-testid="background-embedding"]').isChecked(), false);
    assert.deepEqual(consoleErrors, []);
  });
});

async function waitFor(ok: () => boolean, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
