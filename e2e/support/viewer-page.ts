// What the tests and the bench do to the viewer page: open a slide through the UI, wait until the
// viewport is fully drawn, and watch every tile request.
import type { Page, Request, Response } from 'playwright-core';

// Page functions run in the browser; the Node project has no DOM library.
declare const document: any, window: any, MutationObserver: any;

/** Waits for the viewer to report its viewport fully drawn (all tiles it needs loaded, no animation). */
export async function waitForDrawn(page: Page, timeout = 60_000): Promise<void> {
  // Let a just-started animation or tile load flip the flag first.
  await page.waitForFunction(
    () => document.querySelector('[data-testid="viewer"]')?.getAttribute('data-fully-loaded') === 'true',
    undefined,
    { timeout, polling: 50 },
  );
}

/** Runs `action`, then waits until the view has changed (flag false) and is fully drawn again. */
export async function actAndWaitForDrawn(page: Page, action: () => Promise<unknown>, timeout = 60_000): Promise<void> {
  await page.evaluate(() => {
    const el = document.querySelector('[data-testid="viewer"]')!;
    window.__sawBusy = false;
    const obs = new MutationObserver(() => {
      if (el.getAttribute('data-fully-loaded') === 'false') window.__sawBusy = true;
    });
    obs.observe(el, { attributes: true, attributeFilter: ['data-fully-loaded'] });
    (window as { __obs: { disconnect(): void } }).__obs = obs;
  });
  await action();
  // A view change that needs no new tiles may never flip the flag: give it a moment, then require drawn.
  await page
    .waitForFunction(() => window.__sawBusy, undefined, { timeout: 1500, polling: 16 })
    .catch(() => {});
  await waitForDrawn(page, timeout);
  await page.evaluate(() => (window as { __obs: { disconnect(): void } }).__obs.disconnect());
}

export interface TileTraffic {
  /** Tile URLs requested, in order. */
  requested: string[];
  /** Requests that failed for a reason other than the viewer cancelling them. */
  failed: string[];
  /** Tile/slide responses with status ≥ 400. */
  errors: string[];
  /** Requests the viewer cancelled (net::ERR_ABORTED). */
  cancelled: string[];
  /** URL -> number of completed tile responses. */
  completed: Map<string, number>;
  reset(): void;
}

const isTile = (url: string): boolean => /\/slides\/[0-9a-f]+_files\//.test(url);

export function watchTiles(page: Page): TileTraffic {
  const t: TileTraffic = {
    requested: [],
    failed: [],
    errors: [],
    cancelled: [],
    completed: new Map(),
    reset() {
      t.requested.length = 0;
      t.failed.length = 0;
      t.errors.length = 0;
      t.cancelled.length = 0;
      t.completed.clear();
    },
  };
  page.on('request', (r: Request) => {
    if (isTile(r.url())) t.requested.push(r.url());
  });
  page.on('requestfailed', (r: Request) => {
    const why = r.failure()?.errorText ?? '';
    if (why.includes('ERR_ABORTED') && isTile(r.url())) t.cancelled.push(r.url());
    else t.failed.push(`${r.url()} ${why}`);
  });
  page.on('response', (r: Response) => {
    const url = r.url();
    if (r.status() >= 400 && url.includes('/slides')) t.errors.push(`${r.status()} ${url}`);
    if (isTile(url) && r.status() < 400) t.completed.set(url, (t.completed.get(url) ?? 0) + 1);
  });
  return t;
}

/** Opens a slide by typing its path into the browser host's path field. */
export async function openByPath(page: Page, path: string): Promise<void> {
  await page.fill('[data-testid="open-path"]', path);
  await page.press('[data-testid="open-path"]', 'Enter');
}

/** The viewer's current zoom in screen pixels per level-0 pixel, and the slide's MPP. */
export function viewState(page: Page): Promise<{ imageZoom: number; slideId: string }> {
  return page.evaluate(() => {
    const viewer = (window as unknown as { __tessera: { viewer: any } }).__tessera.viewer;
    const item = viewer.world.getItemAt(0);
    return {
      imageZoom: item.viewportToImageZoom(viewer.viewport.getZoom(true)) as number,
      slideId: document.querySelector('[data-testid="viewer"]')!.getAttribute('data-slide-id')!,
    };
  });
}

/**
 * Collects the page's uncaught errors and console errors (API error responses excepted: the UI shows
 * those on purpose). Tests end by asserting the list is empty.
 */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.location().url.includes('/api/')) errors.push(`${m.text()} ${m.location().url}`);
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  return errors;
}
