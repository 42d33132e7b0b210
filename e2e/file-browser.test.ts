// Issue 8 and 10 end to end in the browser host: open slides through the file browser (home confined), and a
// snapshot of the view downloads as a PNG.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { ensureSampleSlide } from '../main/sample/sample-slide.js';
import { hasShared, shared } from '../main/testing/shared-data.js';
import { skipWithoutChromium } from './support/chromium.js';
import { startHostSession, type HostSession } from './support/host-session.js';
import { waitForDrawn } from './support/viewer-page.js';

const CMU = shared('data', 'slides', 'CMU-1-Small-Region.svs');

describe('file browser and view snapshot in the browser host', { skip: skipWithoutChromium }, () => {
  let session: HostSession;
  let page: Page;
  let tmp: string;
  const home = process.env.HOME;

  before(async () => {
    session = await startHostSession({
      name: 'browse',
      sample: false,
      viewport: { width: 1280, height: 800 },
      page: { acceptDownloads: true },
      // A home folder holding the sample (and CMU-1): the file browser is confined to it.
      prepare: async (tmp) => {
        const sample = await ensureSampleSlide();
        mkdirSync(join(tmp, 'home', 'slides'), { recursive: true });
        copyFileSync(sample, join(tmp, 'home', 'slides', basename(sample)));
        if (hasShared) copyFileSync(CMU, join(tmp, 'home', 'slides', 'CMU-1-Small-Region.svs'));
        process.env.HOME = join(tmp, 'home');
      },
    });
    ({ page, tmp } = session);
  });

  after(async () => {
    await session?.close();
    process.env.HOME = home;
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
