// Viewer responsiveness in the browser host, Debian's Chromium at 1920×1080:
//   node --import tsx bench/viewer.bench.ts
//   env: VIEWER_BENCH_OPENS=5, VIEWER_BENCH_STEPS=20, VIEWER_BENCH_HEAP_STEPS=200
// - open → first viewport fully drawn (from pressing Enter in the path field), VIEWER_BENCH_OPENS times,
//   each in a fresh host (cold tile caches) and a fresh browser context (cold HTTP cache): p50 and each;
// - scripted zoom/pan steps (seeded), each from the move to fully drawn, with the tile requests issued.
//   The walk zooms in by 2× up to ~1:1, pans 0.6–0.9 of a viewport in a wandering heading (turning
//   back at the slide's edges, so pans reveal new tiles rather than bouncing over cached ones), zooms
//   out, goes home now and then;
// - renderer JS heap (CDP Performance.getMetrics, after a forced GC) and tiles in OpenSeadragon's cache,
//   before, halfway through and after VIEWER_BENCH_HEAP_STEPS more steps (each waits at most 1 s for its
//   tiles, which bounds the run on a busy machine; the measurements wait for a drawn view). Steady means
//   flat from halfway to the end.
// Slide: the 44,400 × 32,637 pyramid of bench/tile-bench-support.ts (needs ../shared), else the sample.
// Moves are applied without animation, so times are the tile pipeline's, not OpenSeadragon's springs.
// Figures on a shared machine swing by 2× between runs: compare against a baseline run in the same
// session (e.g. this file run in a checkout of the previous commit), not against old numbers.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startTesseraHost, type TesseraHost } from '../main/host/start-host.js';
import { appRoot } from '../main/services/app-paths.js';
import { ensureSampleSlide } from '../main/sample/sample-slide.js';
import { tesseraDataDir } from '../main/common/data-dir.js';
import { seededRandom } from '../main/common/seeded-random.js';
import { hasShared, shared } from '../main/testing/shared-data.js';
import { launchChromium, skipWithoutChromium } from '../e2e/support/chromium.js';
import { ensureRendererBuilt } from '../e2e/support/renderer-build.js';
import { openByPath, waitForDrawn } from '../e2e/support/viewer-page.js';
import { ensureBigPyramid, percentile } from './tile-bench-support.js';

declare const window: any, performance: { now(): number }, requestAnimationFrame: (cb: () => void) => number;

const OPENS = Number(process.env.VIEWER_BENCH_OPENS ?? 5);
const STEPS = Number(process.env.VIEWER_BENCH_STEPS ?? 20);
const HEAP_STEPS = Number(process.env.VIEWER_BENCH_HEAP_STEPS ?? 200);

type Move = { kind: 'zoom'; factor: number; x: number; y: number } | { kind: 'pan'; dx: number; dy: number } | { kind: 'home' };

/** A pathologist-like walk: zoom into a spot, scan around it, zoom out, jump elsewhere. Seeded. */
class Walk {
  private readonly rand: () => number;
  private depth = 0;
  private heading: number;

  constructor(seed: number, private readonly maxDepth: number) {
    this.rand = seededRandom(seed);
    this.heading = this.rand() * 2 * Math.PI;
  }

  next(): Move {
    const r = this.rand();
    if (this.depth < 2 || (r < 0.3 && this.depth < this.maxDepth)) {
      this.depth++;
      return { kind: 'zoom', factor: 2, x: 0.25 + 0.5 * this.rand(), y: 0.25 + 0.5 * this.rand() };
    }
    if (r < 0.82) {
      this.heading += (this.rand() - 0.5) * 1.2;
      const distance = 0.6 + 0.3 * this.rand();
      return { kind: 'pan', dx: Math.cos(this.heading) * distance, dy: Math.sin(this.heading) * distance };
    }
    if (r < 0.94) {
      this.depth--;
      return { kind: 'zoom', factor: 0.5, x: 0.5, y: 0.5 };
    }
    this.depth = 0;
    return { kind: 'home' };
  }

  /** The last pan would have left the slide along x and/or y: head back. */
  turn(flipX: boolean, flipY: boolean): void {
    const dx = Math.cos(this.heading) * (flipX ? -1 : 1);
    const dy = Math.sin(this.heading) * (flipY ? -1 : 1);
    this.heading = Math.atan2(dy, dx);
  }
}

/**
 * Applies one move at once and resolves with the milliseconds until the viewport is fully drawn (or
 * `maxWaitMs` passed), and whether a pan had to be turned back at the slide's edge.
 */
function step(page: Page, move: Move, maxWaitMs = 120_000): Promise<{ ms: number; flipX: boolean; flipY: boolean }> {
  return page.evaluate(
    async ([m, maxWait]: [Move, number]) => {
      const v = window.__tessera.viewer;
      const vp = v.viewport;
      const item = v.world.getItemAt(0);
      const t0 = performance.now();
      let flipX = false;
      let flipY = false;
      if (m.kind === 'home') vp.goHome(true);
      else if (m.kind === 'pan') {
        const b = vp.getBounds(true);
        const size = item.getBounds(true);
        let dx = m.dx * b.width;
        let dy = m.dy * b.height;
        const cx = b.x + b.width / 2 + dx;
        const cy = b.y + b.height / 2 + dy;
        if (cx < size.x || cx > size.x + size.width) {
          dx = -dx;
          flipX = true;
        }
        if (cy < size.y || cy > size.y + size.height) {
          dy = -dy;
          flipY = true;
        }
        vp.panBy({ x: dx, y: dy }, true);
      } else {
        const b = vp.getBounds(true);
        vp.zoomBy(m.factor, { x: b.x + m.x * b.width, y: b.y + m.y * b.height }, true);
      }
      vp.applyConstraints(true);
      // Two frames: OpenSeadragon has run an update and asked for the tiles the new view needs.
      // (No named helpers in here: tsx would wrap them in a __name() the page does not have.)
      await new Promise((r) => requestAnimationFrame(() => r(null)));
      await new Promise((r) => requestAnimationFrame(() => r(null)));
      while ((!item.getFullyLoaded() || v.isAnimating?.()) && performance.now() - t0 < maxWait) await new Promise((r) => setTimeout(r, 4));
      return { ms: performance.now() - t0, flipX, flipY };
    },
    [move, maxWaitMs] as [Move, number],
  );
}

async function memory(page: Page): Promise<{ heapMb: number; tilesCached: number; tileObjects: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  await cdp.detach();
  const { tilesCached, tileObjects } = await page.evaluate(() => {
    const v = window.__tessera.viewer;
    // OpenSeadragon keeps a small Tile object for every tile address it has ever considered (bounded by the
    // pyramid's tile count), loaded or not: heap growth that tracks this count is that bookkeeping.
    let objects = 0;
    for (const level of Object.values(v.world.getItemAt(0).tilesMatrix ?? {})) {
      for (const col of Object.values(level as object)) objects += Object.keys(col as object).length;
    }
    return { tilesCached: v.tileCache?.numTilesLoaded?.() ?? NaN, tileObjects: objects };
  });
  return { heapMb: +((metrics.find((m: { name: string }) => m.name === 'JSHeapUsedSize')?.value ?? NaN) / 2 ** 20).toFixed(1), tilesCached, tileObjects };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: Math.round(percentile(s, 50)), p95: Math.round(percentile(s, 95)), max: Math.round(s[s.length - 1]) };
};

const isTile = (url: string) => /_files\//.test(url);

interface Session {
  host: TesseraHost;
  page: Page;
  requests: () => number;
  close(): Promise<void>;
}

/** A fresh host (cold caches) and browser context (cold HTTP cache) with the slide opened and drawn. */
async function openFresh(browser: Browser, slidePath: string): Promise<Session & { openMs: number; openRequests: number }> {
  const host = await startTesseraHost({ openSample: false, recentFile: null });
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  let requests = 0;
  page.on('request', (r) => {
    if (isTile(r.url())) requests++;
  });
  await page.goto(host.url);
  await page.waitForSelector('[data-testid="empty-state"]');
  const t0 = Date.now();
  await openByPath(page, slidePath);
  await page.waitForSelector('[data-testid="slide-tab"]');
  await waitForDrawn(page, 120_000);
  const openMs = Date.now() - t0;
  return {
    host,
    page,
    openMs,
    openRequests: requests,
    requests: () => requests,
    async close() {
      await context.close();
      await host.close();
    },
  };
}

async function main(): Promise<void> {
  if (skipWithoutChromium) {
    console.log(`viewer bench skipped: ${skipWithoutChromium}`);
    return;
  }
  ensureRendererBuilt();
  const slidePath = hasShared
    ? await ensureBigPyramid(shared('data', 'slides', 'CMU-1-Small-Region.svs'), join(tesseraDataDir(), 'bench'))
    : await ensureSampleSlide();
  const started = Date.now();
  const browser = await launchChromium();
  try {
    const opens: { ms: number; requests: number }[] = [];
    let session: Awaited<ReturnType<typeof openFresh>> | null = null;
    for (let i = 0; i < OPENS; i++) {
      await session?.close();
      session = await openFresh(browser, slidePath);
      opens.push({ ms: session.openMs, requests: session.openRequests });
    }
    const { page, requests } = session!;
    const layout = await page.evaluate(() => {
      const v = window.__tessera.viewer;
      const s = v.world.getItemAt(0).source;
      return { tileSize: s.getTileWidth(0), overlap: s.tileOverlap, homeImageZoom: v.world.getItemAt(0).viewportToImageZoom(v.viewport.getHomeZoom()) };
    });
    // Zoom in up to ~1:1 (a slide pixel per screen pixel), as far as pathologists usually go.
    const maxDepth = Math.max(2, Math.round(Math.log2(1 / layout.homeImageZoom)));

    const walk = new Walk(42, maxDepth);
    const stepMs: number[] = [];
    const stepRequests: number[] = [];
    const moves: string[] = [];
    for (let i = 0; i < STEPS; i++) {
      const move = walk.next();
      const before = requests();
      const r = await step(page, move);
      walk.turn(r.flipX, r.flipY);
      stepMs.push(r.ms);
      stepRequests.push(requests() - before);
      moves.push(move.kind === 'pan' ? 'pan' : move.kind === 'home' ? 'home' : move.factor > 1 ? 'in' : 'out');
    }
    const stepsWithTiles = stepMs.filter((_, i) => stepRequests[i] > 0);

    const memBefore = await memory(page);
    const heapStart = Date.now();
    const heapWalk = new Walk(7, maxDepth);
    let memHalf = memBefore;
    for (let i = 0; i < HEAP_STEPS; i++) {
      const r = await step(page, heapWalk.next(), 1000);
      heapWalk.turn(r.flipX, r.flipY);
      if (i === Math.floor(HEAP_STEPS / 2) - 1) {
        await waitForDrawn(page, 60_000);
        memHalf = await memory(page);
      }
    }
    const heapStepsSeconds = (Date.now() - heapStart) / 1000;
    // Measured with the last view drawn, so tiles still in flight do not count as growth.
    await waitForDrawn(page, 60_000);
    const memAfter = await memory(page);
    await session!.close();

    const openStats = stats(opens.map((o) => o.ms));
    const figures = {
      slide: slidePath,
      viewport: '1920x1080',
      tileLayout: `${layout.tileSize}/${layout.overlap}`,
      open: { count: OPENS, p50: openStats.p50, max: openStats.max, eachMs: opens.map((o) => o.ms), tileRequests: opens.map((o) => o.requests) },
      steps: {
        count: STEPS,
        ...stats(stepMs),
        withNewTiles: { count: stepsWithTiles.length, ...(stepsWithTiles.length ? stats(stepsWithTiles) : {}) },
        moves,
        perStepMs: stepMs.map(Math.round),
        tileRequests: stepRequests,
        totalTileRequests: stepRequests.reduce((a, b) => a + b, 0),
      },
      memory: { steps: HEAP_STEPS, before: memBefore, half: memHalf, after: memAfter, seconds: +heapStepsSeconds.toFixed(1) },
      benchSeconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(`viewer bench (${figures.viewport}, ${slidePath.split('/').pop()}, tiles ${figures.tileLayout})`);
    console.log(`  open → first viewport drawn: p50 ${openStats.p50} ms over ${OPENS} cold opens (${opens.map((o) => o.ms).join(', ')} ms), ${opens[0].requests} tile requests`);
    console.log(
      `  ${STEPS} zoom/pan steps → drawn: p50 ${figures.steps.p50} ms, p95 ${figures.steps.p95} ms, max ${figures.steps.max} ms; ` +
        `${stepsWithTiles.length} needed new tiles (p50 ${figures.steps.withNewTiles.p50 ?? '–'} ms, p95 ${figures.steps.withNewTiles.p95 ?? '–'} ms); ${figures.steps.totalTileRequests} tile requests`,
    );
    console.log(
      `  JS heap after GC: ${memBefore.heapMb} MB before, ${memHalf.heapMb} MB after ${Math.floor(HEAP_STEPS / 2)} and ${memAfter.heapMb} MB after ${HEAP_STEPS} more steps (${figures.memory.seconds} s); ` +
        `tiles cached ${memBefore.tilesCached} → ${memHalf.tilesCached} → ${memAfter.tilesCached}, Tile objects ${memBefore.tileObjects} → ${memHalf.tileObjects} → ${memAfter.tileObjects}`,
    );
    console.log(`  bench took ${figures.benchSeconds} s`);
    const out = join(appRoot, 'bench-output');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'viewer.json'), JSON.stringify(figures, null, 2));
  } finally {
    await browser.close();
  }
}

await main();
