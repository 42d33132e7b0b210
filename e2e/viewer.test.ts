// The viewer end to end: the browser host started in-process on a free port, the compiled renderer in
// Debian's Chromium, real slides from ../shared. Screenshots go to test-output/e2e/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

// Page functions run in the browser; the Node project has no DOM library.
declare const document: any;
import { hasShared, shared } from '../main/testing/shared-data.js';
import { skipWithoutChromium } from './support/chromium.js';
import { e2eShots as shots, startHostSession, type HostSession } from './support/host-session.js';
import { actAndWaitForDrawn, openByPath, viewState, waitForDrawn, watchTiles, type TileTraffic } from './support/viewer-page.js';

const CMU = shared('data', 'slides', 'CMU-1-Small-Region.svs');
const TCGA = shared('data', 'slides', 'TCGA-CR-7395-01A-01-TS1.svs');
const NDPI = shared('data', 'slides', 'test3-DAPI.ndpi');
const skipReal = skipWithoutChromium || (hasShared ? false : '../shared is absent: real-slide e2e tests skipped');

describe('viewer in the browser host', { skip: skipWithoutChromium }, () => {
  let session: HostSession;
  let page: Page;
  let tiles: TileTraffic;
  let tmp: string;
  let consoleErrors: string[] = [];

  before(async () => {
    // The empty window; the pixel size set below is stored in the session's data folder, not the user's.
    session = await startHostSession({ name: 'viewer', sample: false, beforeLoad: (p) => void (tiles = watchTiles(p)) });
    ({ page, tmp, errors: consoleErrors } = session);
  });

  after(() => session?.close('zz-last.png'));

  test('the empty window offers the ways to open a slide', async () => {
    await page.screenshot({ path: join(shots, '00-empty.png') });
    assert.match(await page.textContent('[data-testid="empty-state"]') ?? '', /No slide open/);
  });

  test('opens the built-in sample', async (t) => {
    const res = await page.evaluate(async () => (await fetch('api/openSampleSlide', { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'null' })).status);
    if (res === 503) {
      t.skip('the sample slide generator (main/sample) is not in this build yet');
      return;
    }
    await page.click('button[title="Open the built-in sample slide"]');
    await page.waitForSelector('[data-testid="slide-tab"]');
    await waitForDrawn(page);
    await page.screenshot({ path: join(shots, '01-sample.png') });
  });

  test('CMU-1-Small-Region: draws, zooms, pans, scale bar matches the MPP', { skip: skipReal }, async () => {
    tiles.reset();
    await actAndWaitForDrawn(page, () => openByPath(page, CMU));
    await page.waitForFunction(() => document.querySelector('[data-testid="info-vendor"]')?.textContent === 'Aperio');
    assert.equal(await page.textContent('[data-testid="info-dimensions"]'), '2,220 × 2,967 px');
    assert.match((await page.textContent('[data-testid="info-mpp"]')) ?? '', /0\.4990 × 0\.4990 µm\/px/);
    await page.waitForSelector('[data-testid="associated-label"]');
    await page.screenshot({ path: join(shots, '02-cmu-fit.png') });
    await checkScaleBar(page, 0.499);

    // Keyboard zoom and pan.
    await actAndWaitForDrawn(page, () => page.keyboard.press('+'));
    await actAndWaitForDrawn(page, () => page.keyboard.press('+'));
    await actAndWaitForDrawn(page, () => page.keyboard.press('ArrowRight'));
    await actAndWaitForDrawn(page, () => page.keyboard.press('ArrowDown'));
    await checkScaleBar(page, 0.499);

    // Presets: 10× on a 20× scan is half of 1:1; 1:1 is the scanner's 20×.
    await actAndWaitForDrawn(page, () => page.click('[data-testid="preset-10"]'));
    assert.equal((await page.textContent('[data-testid="magnification"]'))?.trim(), '10×');
    assert.ok(Math.abs((await viewState(page)).imageZoom - 0.5) < 0.01);
    assert.equal(await page.$('[data-testid="preset-40"]'), null, 'no 40× preset on a 20× scan');
    await actAndWaitForDrawn(page, () => page.click('[data-testid="zoom-native"]'));
    assert.equal((await page.textContent('[data-testid="magnification"]'))?.trim(), '20×');
    await checkScaleBar(page, 0.499);
    await page.screenshot({ path: join(shots, '03-cmu-20x.png') });

    await actAndWaitForDrawn(page, () => page.keyboard.press('0'));
    assertCleanTraffic(tiles);
  });

  test('TCGA JPEG 2000 slide without MPP: draws, scale marked assumed, no presets; a pixel size set in the Slide panel gives a real scale', { skip: skipReal }, async () => {
    tiles.reset();
    const before = await page.locator('[data-testid="slide-tab"]').count();
    await actAndWaitForDrawn(page, () => openByPath(page, TCGA));
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="slide-tab"]').length === n + 1, before);
    await page.waitForFunction(() => document.querySelector('[data-testid="info-dimensions"]')?.textContent === '4,443 × 3,567 px');
    // No pixel size in the file: the scale bar and the magnification say they rest on the assumed 0.5 µm/px.
    assert.match((await page.textContent('[data-testid="scale-bar"]'))?.trim() ?? '', /^~\d+(\.\d+)? (µm|mm) \(assumed 0\.5 µm\/px\)$/);
    assert.equal(await page.getAttribute('[data-testid="scale-bar"]', 'data-assumed'), 'true');
    assert.equal(await page.$('[data-testid="preset-10"]'), null);
    assert.match((await page.textContent('[data-testid="magnification"]')) ?? '', /\(assumed\)/);
    assert.match((await page.textContent('[data-testid="info-mpp"]')) ?? '', /unknown\s*\(assumed 0\.5 µm\/px\)/);
    await actAndWaitForDrawn(page, () => page.keyboard.press('+'));
    await actAndWaitForDrawn(page, () => page.keyboard.press('ArrowLeft'));
    await page.screenshot({ path: join(shots, '04-tcga.png') });
    assertCleanTraffic(tiles);

    // Set 0.5 µm/px in the Slide panel: a real scale bar and magnification, presets, a physical size.
    await page.fill('[data-testid="pixel-size-input"]', '0.5');
    await page.click('[data-testid="pixel-size-set"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="scale-bar"]')?.getAttribute('data-assumed') === 'false');
    assert.match((await page.textContent('[data-testid="info-mpp"]')) ?? '', /0\.5 µm\/px\s*\(set by you\)/);
    await checkScaleBar(page, 0.5);
    assert.doesNotMatch((await page.textContent('[data-testid="magnification"]')) ?? '', /assumed|%/);
    assert.notEqual(await page.$('[data-testid="preset-10"]'), null);
    await page.screenshot({ path: join(shots, '04-tcga-pixel-size.png') });
    // Cleared again (it is stored in the user data folder): assumed once more.
    await page.click('[data-testid="pixel-size-clear"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="scale-bar"]')?.getAttribute('data-assumed') === 'true');

    // n / p switch slides and keep each slide's view.
    await actAndWaitForDrawn(page, () => page.keyboard.press('p'));
    await page.waitForFunction(() => document.querySelector('[data-testid="info-vendor"]') && document.querySelector('[data-testid="info-dimensions"]')?.textContent === '2,220 × 2,967 px');
  });

  test('Hamamatsu NDPI (test3-DAPI) opens: tiles drawn, no failed tile requests', { skip: skipReal }, async () => {
    tiles.reset();
    const before = await page.locator('[data-testid="slide-tab"]').count();
    await actAndWaitForDrawn(page, () => openByPath(page, NDPI));
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="slide-tab"]').length === n + 1, before);
    await page.waitForFunction(() => document.querySelector('[data-testid="info-dimensions"]')?.textContent === '3,968 × 4,864 px');
    await actAndWaitForDrawn(page, () => page.keyboard.press('+'));
    await page.screenshot({ path: join(shots, '05-ndpi.png') });
    assert.ok([...tiles.completed.values()].length > 0, 'tiles were drawn');
    assertCleanTraffic(tiles);
  });

  test('a corrupt file shows a clear error and the app keeps working', async () => {
    const bad = join(tmp, 'corrupt-slide.svs');
    writeFileSync(bad, randomBytes(64 * 1024));
    const tabs = await page.locator('[data-testid="slide-tab"]').count();
    await openByPath(page, bad);
    const notice = await page.waitForSelector('[data-testid="notice-error"]');
    const text = (await notice.textContent()) ?? '';
    assert.match(text, /Could not open corrupt-slide\.svs/);
    assert.match(text, /not a slide format Tessera can read|corrupt/i);
    await page.screenshot({ path: join(shots, '05-corrupt-error.png') });
    assert.equal(await page.locator('[data-testid="slide-tab"]').count(), tabs);
    // Still responsive: dismiss, and the path field still opens slides.
    await page.click('[data-testid="notice-error"] button');
    assert.equal(await page.$('[data-testid="notice-error"]'), null);
  });

  test('the page logged no errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});

/** The scale bar's length in µm, over its width in pixels, must be the slide's µm per screen pixel. */
async function checkScaleBar(page: Page, mpp: number): Promise<void> {
  const bar = await page.$eval('[data-testid="scale-bar"]', (el) => ({
    um: Number(el.getAttribute('data-um')),
    px: Number(el.getAttribute('data-px')),
    drawnPx: el.querySelector(".bar").getBoundingClientRect().width,
    label: el.textContent?.trim() ?? '',
  }));
  const { imageZoom } = await viewState(page);
  const umPerScreenPx = mpp / imageZoom;
  assert.ok(bar.um > 0 && bar.px > 20 && bar.px <= 161, `scale bar ${JSON.stringify(bar)}`);
  assert.ok(Math.abs((bar.um / bar.drawnPx) / umPerScreenPx - 1) < 0.01, `bar ${bar.um} µm over ${bar.drawnPx}px, expected ${umPerScreenPx} µm/px`);
  const expectedLabel = bar.um >= 1000 ? `${bar.um / 1000} mm` : `${bar.um} µm`;
  assert.equal(bar.label, expectedLabel);
}

function assertCleanTraffic(tiles: TileTraffic): void {
  assert.deepEqual(tiles.failed, [], 'failed requests');
  assert.deepEqual(tiles.errors, [], 'error responses');
  assert.ok(tiles.requested.length > 0, 'tiles were requested');
  const twice = [...tiles.completed].filter(([, n]) => n > 1).map(([u]) => u);
  assert.deepEqual(twice, [], 'tiles fetched more than once');
}
