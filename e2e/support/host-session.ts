// The setup every browser-host e2e file shares: the renderer built, the browser host started on a fresh temp
// data folder (annotations, models, probes and embeddings isolated from the user's), Debian's Chromium on
// the host's token URL, and the window ready: the built-in sample open and drawn, or the empty window.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { startTesseraHost, type StartHostOptions, type TesseraHost } from '../../main/host/start-host.js';
import { ensureSampleSlide } from '../../main/sample/sample-slide.js';
import { appRoot } from '../../main/services/app-paths.js';
import { launchChromium } from './chromium.js';
import { ensureRendererBuilt } from './renderer-build.js';
import { collectPageErrors, waitForDrawn } from './viewer-page.js';

/** Where e2e screenshots go. */
export const e2eShots = join(appRoot, 'test-output', 'e2e');

export interface HostSessionOptions {
  /** Names the temp folder (`tessera-e2e-<name>-…`). */
  name: string;
  /** The host opens the built-in sample and the session waits until it is drawn (default); false: the empty window. */
  sample?: boolean;
  /** Default 1440×900. */
  viewport?: { width: number; height: number };
  /** More for the browser page (e.g. acceptDownloads). */
  page?: Omit<BrowserContextOptions, 'viewport'>;
  /** More for the host; `slides`/`openSample` follow `sample`. */
  host?: Omit<StartHostOptions, 'slides' | 'openSample' | 'recentFile'>;
  /** Runs once the temp folder exists, before the host starts (e.g. a home folder with slides in it). */
  prepare?: (tmp: string) => void | Promise<void>;
  /** Runs with the host up and the page created, before the page loads (listeners, init scripts, host.api calls). */
  beforeLoad?: (page: Page, host: TesseraHost, tmp: string) => void | Promise<void>;
}

export interface HostSession {
  host: TesseraHost;
  browser: Browser;
  page: Page;
  /** The session's temp folder (the data folder is `data/` in it), removed by close(). */
  tmp: string;
  /** The sample slide's path (generated once in the usual cache). */
  sample: string;
  /** The page's uncaught and console errors (collectPageErrors): tests end by asserting it is empty. */
  errors: string[];
  /** Screenshot `lastShot` (a file name in e2eShots) if given, close the browser and host, remove the temp folder. */
  close(lastShot?: string): Promise<void>;
}

export async function startHostSession(o: HostSessionOptions): Promise<HostSession> {
  ensureRendererBuilt();
  mkdirSync(e2eShots, { recursive: true });
  const sample = await ensureSampleSlide(); // before TESSERA_DATA_DIR moves: generated once in the usual cache
  const tmp = mkdtempSync(join(tmpdir(), `tessera-e2e-${o.name}-`));
  const env = { TESSERA_DATA_DIR: process.env.TESSERA_DATA_DIR, TESSERA_EP: process.env.TESSERA_EP };
  process.env.TESSERA_DATA_DIR = join(tmp, 'data');
  process.env.TESSERA_EP = 'cpu';
  let host: TesseraHost | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const close = async (lastShot?: string) => {
    if (lastShot) await page?.screenshot({ path: join(e2eShots, lastShot) }).catch(() => {});
    await browser?.close();
    await host?.close();
    rmSync(tmp, { recursive: true, force: true });
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  try {
    await o.prepare?.(tmp);
    const withSample = o.sample !== false;
    host = await startTesseraHost({ ...o.host, ...(withSample ? { slides: [sample] } : { openSample: false }), recentFile: null });
    browser = await launchChromium();
    page = await browser.newPage({ ...o.page, viewport: o.viewport ?? { width: 1440, height: 900 } });
    const errors = collectPageErrors(page);
    await o.beforeLoad?.(page, host, tmp);
    await page.goto(host.url);
    if (withSample) {
      await page.waitForSelector('[data-testid="slide-tab"]');
      await waitForDrawn(page);
    } else {
      await page.waitForSelector('[data-testid="empty-state"]');
    }
    return { host, browser, page, tmp, sample, errors, close };
  } catch (err) {
    await close();
    throw err;
  }
}
