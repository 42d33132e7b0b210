// Drawing on the slide with the mouse, in level-0 pixels: where a slide point is on the page, fitting a
// region into the view, and drawing rectangles and polygons of a class with the annotation tools.
import type { Page } from 'playwright-core';
import { actAndWaitForDrawn } from './viewer-page.js';

// Page functions run in the browser; the Node project has no DOM library.
declare const document: any, window: any;

export type Xy = [number, number];
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Page coordinates of level-0 points of the slide in view. */
export function pageCoords(page: Page, points: Xy[]): Promise<Xy[]> {
  return page.evaluate((pts: Xy[]) => {
    const viewer = window.__tessera.viewer;
    const item = viewer.world.getItemAt(0);
    const box = viewer.canvas.getBoundingClientRect();
    return pts.map(([x, y]) => {
      const p = viewer.viewport.pixelFromPoint(item.imageToViewportCoordinates(x, y, true), true);
      return [box.left + p.x, box.top + p.y] as Xy;
    });
  }, points);
}

/** Fits the level-0 rectangle into the view (no animation) and waits until it is drawn. */
export function fitView(page: Page, r: Rect): Promise<void> {
  return actAndWaitForDrawn(page, () =>
    page.evaluate((v: Rect) => {
      const viewer = window.__tessera.viewer;
      const item = viewer.world.getItemAt(0);
      viewer.viewport.fitBounds(item.imageToViewportRectangle(v.x, v.y, v.width, v.height), true);
    }, r),
  );
}

/** A mouse drag from the rectangle's top-left to its bottom-right corner in 8 moves (with the current tool). */
export async function dragRect(page: Page, r: Rect): Promise<void> {
  const [[x0, y0], [x1, y1]] = await pageCoords(page, [
    [r.x, r.y],
    [r.x + r.width, r.y + r.height],
  ]);
  await page.mouse.move(x0, y0);
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) await page.mouse.move(x0 + ((x1 - x0) * i) / 8, y0 + ((y1 - y0) * i) / 8);
  await page.mouse.up();
}

/** Picks the class, then draws each rectangle with the rectangle tool. */
export async function drawRectangles(page: Page, className: string, rects: Rect[]): Promise<void> {
  await page.click(`[data-testid="class-option"][data-class="${className}"]`);
  await page.click('[data-testid="tool-rectangle"]');
  for (const r of rects) await dragRect(page, r);
}

/** Picks the class, then draws the polygon: a click per vertex, a double-click near the first to close it. */
export async function drawPolygon(page: Page, className: string, points: Xy[]): Promise<void> {
  await page.click(`[data-testid="class-option"][data-class="${className}"]`);
  await page.click('[data-testid="tool-polygon"]');
  const vertices = await pageCoords(page, points);
  for (const [x, y] of vertices) await page.mouse.click(x, y);
  await page.mouse.dblclick(vertices[0][0] + 1, vertices[0][1] + 1);
}

/** Waits until the annotation list shows `n` items. */
export async function waitForAnnotationCount(page: Page, n: number): Promise<void> {
  await page.waitForFunction((k: number) => document.querySelectorAll('[data-testid="annotation-item"]').length === k, n);
}
