// Issue 8 and 10 end to end in the browser host: open slides through the file browser (home confined), and a
// snapshot of the view downloads as a PNG.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { startTesseraHost, type TesseraHost } from '../main/host/start-host.js';
import { ensureSampleSlide } from '../main/sample/sample-slide.js';
import { hasShared, shared } from '../main/testing/shared-data.js';
import { launchChromium, skipWithoutChromium } from './support/chromium.js';
import { ensureRendererBuilt } from './support/renderer-build.js';
import { waitForDrawn } from './support/viewer-page.js';

const CMU = shared('data', 'slides', 'CMU-1-Small-Region.svs');

describe('file browser and view snapshot in the browser host', { skip: skipWithoutChromium }, () => {
  let host: TesseraHost;
  let browser: Browser;
  let page: Page;
  let tmp: string;
  const env = { HOME: process.env.HOME, TESSERA_DATA_DIR: process.env.TESSERA_DATA_DIR };

  before(async () => {
    ensureRendererBuilt();
    const sample = await ensureSampleSlide();
    tmp = mkdtempSync(join(tmpdir(), 'tessera-e2e-browse-'));
    mkdirSync(join(tmp, 'home', 'slides'), { recursive: true });
    copyFileSync(sample, join(tmp, 'home', 'slides', basename(sample)));
    if (hasShared) copyFileSync(CMU, join(tmp, 'home', 'slides', 'CMU-1-Small-Region.svs'));
    process.env.HOME = join(tmp, 'home');
    process.env.TESSERA_DATA_DIR = join(tmp, 'data');
    host = await startTesseraHost({ openSample: false, recentFile: null });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    await page.goto(host.url);
    await page.waitForSelector('[data-testid="empty-state"]');
  });

  after(async () => {
    await browser?.close();
    await host?.close();
    process.env.HOME = env.HOME;
    if (env.TESSERA_DATA_DIR === undefined) delete process.env.TESSERA_DATA_DIR;
    else process.env.TESSERA_DATA_DIR = env.TESSERA_DATA_DIR;
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('browses home, opens a slide from the list; outside home is refused', async () => {
    await page.click('[data-testid="open-browse"]');
    await page.waitForSelector('[data-testid="file-browser"] [data-name="slides"]');
    await page.click('[data-testid="file-browser"] [data-name="slides"]');
    const wanted = hasShared ? 'CMU-1-Small-Region.svs' : basename(await ensureSampleSlide());
    await page.waitForSelector(`[data-testid="browse-entry"][data-kind="slide"][data-name="${wanted}"]`);
    await page.click(`[data-testid="browse-entry"][data-name="${wanted}"]`);
    await page.waitForSelector('[data-testid="slide-tab"]');
    await waitForDrawn(page);
    assert.equal(await page.locator('[data-testid="file-browser"]').count(), 0, 'the dialog closes on open');
    const refused = await page.evaluate(async () => {
      const r = await fetch('api/listFolder', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/etc' }) });
      return r.status;
    });
    assert.equal(refused, 403);
  });

  test('snapshot of the view downloads a PNG of what is on screen', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="snapshot-view"]')]);
    const file = join(tmp, 'snapshot.png');
    await download.saveAs(file);
    assert.match(download.suggestedFilename(), /-view-.*\.png$/);
    const { data, info } = await sharp(readFileSync(file)).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.format, 'raw');
    assert.ok(info.width > 600 && info.height > 400, `${info.width}×${info.height}`);
    const colours = new Set<string>();
    for (let i = 0; i < info.width * info.height; i += 131) colours.add(data.subarray(i * info.channels, i * info.channels + 3).join());
    assert.ok(colours.size > 100, `slide pixels in the snapshot: ${colours.size} colours`);
  });
});
