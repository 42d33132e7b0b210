// The analysis side of the page: opening the Analysis tab, the sample slide's known regions the tests draw,
// and waiting for the view's embedding.
import type { Page } from 'playwright-core';
import { SAMPLE_TUMOUR_REGIONS } from '../../main/sample/sample-slide.js';
import type { Rect, Xy } from './slide-drawing.js';

// Page functions run in the browser; the Node project has no DOM library.
declare const document: any;

/** The part of the sample slide the drawing tests fit into view: tumours 1 and 2 and the normal tissue beside them. */
export const SAMPLE_VIEW: Rect = { x: 2800, y: 3800, width: 7600, height: 6100 };
/** A rectangle well inside tumour 1 (ground-truth blob centred near 4550, 5930). */
export const SAMPLE_TUMOUR_RECT: Rect = { x: 3900, y: 5300, width: 1300, height: 1300 };
/** Normal tissue ≥ 900 px from any tumour. */
export const SAMPLE_NORMAL_RECTS: Rect[] = [
  { x: 7200, y: 4400, width: 1400, height: 1400 },
  { x: 8600, y: 7000, width: 1400, height: 1400 },
];
/** Tumour 2's outline shrunk 20 % towards its centre, 8 vertices: a polygon inside it. */
export const SAMPLE_TUMOUR_POLYGON: Xy[] = (() => {
  const t2 = SAMPLE_TUMOUR_REGIONS[1].polygon;
  const c: Xy = [t2.reduce((s, p) => s + p[0], 0) / t2.length, t2.reduce((s, p) => s + p[1], 0) / t2.length];
  return t2.filter((_, i) => i % Math.floor(t2.length / 8) === 0).map(([x, y]) => [c[0] + 0.8 * (x - c[0]), c[1] + 0.8 * (y - c[1])] as Xy);
})();

/** Clicks the Analysis tab and waits for the panel, or for `readyTestid` inside it (e.g. the baseline notice). */
export async function openAnalysisPanel(page: Page, readyTestid = 'analysis-panel'): Promise<void> {
  await page.click('button[role="tab"]:has-text("Analysis")');
  await page.waitForSelector(`[data-testid="${readyTestid}"]`);
}

/**
 * Waits until the view's embedding is done: the element `testid` (the panel's embedding-progress, or the
 * status bar's embedding-status) reports a total and all of it done.
 */
export async function waitForViewEmbedded(page: Page, { testid = 'embedding-progress', timeout = 60_000 } = {}): Promise<void> {
  await page.waitForFunction(
    (id: string) => {
      const e = document.querySelector(`[data-testid="${id}"]`);
      return e && Number(e.dataset.total) > 0 && e.dataset.done === e.dataset.total;
    },
    testid,
    { timeout, polling: 200 },
  );
}
