// Viewer responsiveness in the browser host, Debian's Chromium at 1920×1080:
//   node --import tsx bench/viewer.bench.ts        (env: VIEWER_BENCH_STEPS=20, VIEWER_BENCH_HEAP_STEPS=200)
// - open → first viewport fully drawn (from pressing Enter in the path field);
// - 20 scripted zoom/pan steps (seeded), each from the move to fully drawn, with tile requests issued;
// - renderer JS heap (CDP Performance.getMetrics, after a forced GC) before and after 200 more steps.
// Slide: the 44,400 × 32,637 pyramid of bench/tile-bench-support.ts (needs ../shared), else the sample.
// Moves are applied without animation, so times are the tile pipeline's, not OpenSeadragon's springs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startTesseraHost } from '../main/host/start-host.js';
import { appRoot } from '../main/services/app-paths.js';
import { ensureSampleSlide, tesseraDataDir } from '../main/sample/sample-slide.js';
import { seededRandom } from '../main/sample/seeded-random.js';
import { hasShared, shared } from '../main/testing/shared-data.js';
import { launchChromium, skipWithoutChromium } from '../e2e/support/chromium.js';
import { ensureRendererBuilt } from '../e2e/support/renderer-build.js';
import { openByPath, waitForDrawn } from '../e2e/support/viewer-page.js';
import { ensureBigPyramid, percentile } from './tile-bench-support.js';

declare const window: any, performance: { now(): number }, requestAnimationFrame: (cb: () => void) => number;

const STEPS = Number(process.env.VIEWER_BENCH_STEPS ?? 20);
const HEAP_STEPS = Number(process.env.VIEWER_BENCH_HEAP_STEPS ?? 200);

type Move = { kind: 'zoom'; factor: number; x: number; y: number } | { kind: 'pan'; dx: number; dy: number } | { kind: 'home' };

/** A pathologist-like walk: zoom into a spot, look around, zoom out, jump elsewhere. */
function scriptedMoves(count: number, seed: number): Move[] {
  const rand = seededRandom(seed);
  const moves: Move[] = [];
  let depth = 0;
  for (let i = 0; i < count; i++) {
    const r = rand();
    if (depth < 2 || (r < 0.35 && depth < 7)) {
      moves.push({ kind: 'zoom', factor: 2, x: 0.2 + 0.6 * rand(), y: 0.2 + 0.6 * rand() });
      depth++;
    } else if (r < 0.8) {
      moves.push({ kind: 'pan', dx: (rand() - 0.5) * 1.2, dy: (rand() - 0.5) * 1.2 });
    } else if (r < 0.93) {
      moves.push({ kind: 'zoom', factor: 0.5, x: 0.5, y: 0.5 });
      depth--;
    } else {
      moves.push({ kind: 'home' });
      depth = 0;
    }
  }
  return moves;
}

/** Applies one move at once and resolves with the milliseconds until the viewport is fully drawn. */
function step(page: Page, move: Move): Promise<number> {
  return page.evaluate(async (m: Move) => {
    const v = window.__tessera.viewer;
    const vp = v.viewport;
    const t0 = performance.now();
    if (m.kind === 'home') vp.goHome(true);
    else if (m.kind === 'pan') {
      const b = vp.getBounds(true);
      vp.panBy({ x: m.dx * b.width, y: m.dy * b.height }, true);
    } else {
      const b = vp.getBounds(true);
      vp.zoomBy(m.factor, { x: b.x + m.x * b.width, y: b.y + m.y * b.height }, true);
    }
    vp.applyConstraints(true);
    const item = v.world.getItemAt(0);
    // Two frames: OpenSeadragon has run an update and asked for the tiles the new view needs.
    // (No named helpers in here: tsx would wrap them in a __name() the page does not have.)
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    await new Promise((r) => requestAnimationFrame(() => r(null)));
    while (!item.getFullyLoaded() || v.isAnimating?.()) await new Promise((r) => setTimeout(r, 4));
    return performance.now() - t0;
  }, move);
}

async function heapMb(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  await cdp.detach();
  return (metrics.find((m: { name: string }) => m.name === 'JSHeapUsedSize')?.value ?? NaN) / 2 ** 20;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: Math.round(percentile(s, 50)), p95: Math.round(percentile(s, 95)), max: Math.round(s[s.length - 1]) };
};

async function main(): Promise<void> {
  if (skipWithoutChromium) {
    console.log(`viewer bench skipped: ${skipWithoutChromium}`);
    return;
  }
  ensureRendererBuilt();
  const slidePath = hasShared
    ? await ensureBigPyramid(shared('data', 'slides', 'CMU-1-Small-Region.svs'), join(tesseraDataDir(), 'bench'))
    : await ensureSampleSlide();
  const host = await startTesseraHost({ openSample: false, recentFile: null });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    let requests = 0;
    page.on('request', (r) => {
      if (/_files\//.test(r.url())) requests++;
    });
    await page.goto(host.url);
    await page.waitForSelector('[data-testid="empty-state"]');

    const t0 = Date.now();
    await openByPath(page, slidePath);
    await page.waitForSelector('[data-testid="slide-tab"]');
    await waitForDrawn(page, 120_000);
    const openMs = Date.now() - t0;
    const openRequests = requests;

    const stepMs: number[] = [];
    const stepRequests: number[] = [];
    for (const move of scriptedMoves(STEPS, 42)) {
      const before = requests;
      stepMs.push(await step(page, move));
      stepRequests.push(requests - before);
    }

    const heapBefore = await heapMb(page);
    const heapStart = Date.now();
    for (const move of scriptedMoves(HEAP_STEPS, 7)) await step(page, move);
    const heapStepsSeconds = (Date.now() - heapStart) / 1000;
    const heapAfter = await heapMb(page);

    const figures = {
      slide: slidePath,
      viewport: '1920x1080',
      openToFirstViewportMs: openMs,
      openTileRequests: openRequests,
      steps: { count: STEPS, ...stats(stepMs), perStepMs: stepMs.map(Math.round), tileRequests: stepRequests, totalTileRequests: stepRequests.reduce((a, b) => a + b, 0) },
      heap: { steps: HEAP_STEPS, beforeMb: +heapBefore.toFixed(1), afterMb: +heapAfter.toFixed(1), seconds: +heapStepsSeconds.toFixed(1) },
      totalTileRequests: requests,
    };
    console.log(`viewer bench (${figures.viewport}, ${slidePath.split('/').pop()})`);
    console.log(`  open → first viewport drawn: ${openMs} ms, ${openRequests} tile requests`);
    console.log(`  ${STEPS} zoom/pan steps → drawn: p50 ${figures.steps.p50} ms, p95 ${figures.steps.p95} ms, max ${figures.steps.max} ms; ${figures.steps.totalTileRequests} tile requests`);
    console.log(`  JS heap after GC: ${figures.heap.beforeMb} MB before, ${figures.heap.afterMb} MB after ${HEAP_STEPS} more steps (${figures.heap.seconds} s)`);
    const out = join(appRoot, 'bench-output');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'viewer.json'), JSON.stringify(figures, null, 2));
  } finally {
    await browser.close();
    await host.close();
  }
}

await main();
