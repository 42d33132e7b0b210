// Viewer responsiveness in the browser host, Debian's Chromium at 1920×1080:
//   node --import tsx bench/viewer.bench.ts
//   env: VIEWER_BENCH_OPENS=5, VIEWER_BENCH_STEPS=20, VIEWER_BENCH_HEAP_STEPS=40 (the long heap walk:
//   VIEWER_BENCH_HEAP_STEPS=200, which alone took ~3–4 of the default run's 6+ minutes on a shared machine)
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
// - the anchor, in the same run: plain OpenSeadragon (node_modules/openseadragon, same browser, window and
//   viewer size, same seeded moves) on a static Deep Zoom folder of the same slide made by `vips dzsave` with
//   the tile size/overlap Tessera serves for it (JPEG Q80, the quality of the pyramid's stored tiles that
//   Tessera passes through), served from a temp dir (removed at exit) by a small Node http server on
//   127.0.0.1 (bench/viewer-anchor/ is its page). The anchor keeps OpenSeadragon's defaults except the view
//   constraints (zoom limits, visibility), copied from Tessera so the walk visits the same views. Reported
//   side by side with request counts, bytes, server time (browser-side TTFB) and main-thread time, and the
//   ratios Tessera / anchor (target ≤ 1.2×). Where a ratio is over, the anchor is run once more with
//   Tessera's renderer options, which splits the gap into renderer options vs the rest (server, tile
//   loading). Needs `vips` (apt-get install libvips-tools); skipped without it. VIEWER_BENCH_ANCHOR=0: off.
// Slide: the 44,400 × 32,637 pyramid of bench/tile-bench-support.ts (needs ../shared), else the sample.
// Moves are applied without animation, so times are the tile pipeline's, not OpenSeadragon's springs.
// Figures on a shared machine swing by 2× between runs: compare against a baseline run in the same
// session (e.g. this file run in a checkout of the previous commit), not against old numbers.
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
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

interface ResourceEntry {
  name: string;
  transferSize: number;
  encodedBodySize: number;
  responseStart: number;
  requestStart: number;
}
declare const window: any,
  performance: { now(): number; getEntriesByType(type: string): ResourceEntry[]; clearResourceTimings(): void },
  requestAnimationFrame: (cb: () => void) => number;

const OPENS = Number(process.env.VIEWER_BENCH_OPENS ?? 5);
const STEPS = Number(process.env.VIEWER_BENCH_STEPS ?? 20);
// 40 by default keeps the default run near 3 minutes and still shows a leak that grows per step; a slow
// leak or a cache that stops growing late needs the long walk (VIEWER_BENCH_HEAP_STEPS=200).
const HEAP_STEPS = Number(process.env.VIEWER_BENCH_HEAP_STEPS ?? 40);
const ANCHOR = process.env.VIEWER_BENCH_ANCHOR !== '0';
/** The issue's target for Tessera / anchor. */
const TARGET_RATIO = 1.2;
/** JPEG quality of the dzsave tiles: that of the pyramid's stored tiles (bench/tile-bench-support.ts), which Tessera passes through. */
const ANCHOR_JPEG_QUALITY = 80;
const WINDOW = { width: 1920, height: 1080 };

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
  if (!s.length) return { p50: NaN, p95: NaN, max: NaN };
  return { p50: Math.round(percentile(s, 50)), p95: Math.round(percentile(s, 95)), max: Math.round(s[s.length - 1]) };
};

const isTile = (url: string) => /_files\//.test(url);

/** Every context keeps all resource timings (the default buffer holds 250), for the traffic figures. */
const KEEP_RESOURCE_TIMINGS = 'performance.setResourceTimingBufferSize(1000000)';

/** Tile responses that came over the network since the last call (Resource Timing), then forgets them. */
interface Traffic {
  responses: number;
  kb: number;
  /** Browser-side server time per tile: responseStart − requestStart (queueing for a connection excluded). */
  ttfbP50: number;
  ttfbP95: number;
}

async function takeTraffic(page: Page): Promise<Traffic> {
  const entries: [number, number, number][] = await page.evaluate(() => {
    const es = performance.getEntriesByType('resource').filter((e) => /_files\//.test(e.name));
    performance.clearResourceTimings();
    return es.map(
      (e: { transferSize: number; encodedBodySize: number; responseStart: number; requestStart: number }) => [
        e.transferSize,
        e.encodedBodySize,
        e.responseStart - e.requestStart,
      ],
    );
  });
  const net = entries.filter(([transfer]) => transfer > 0);
  const ttfb = net.map((e) => e[2]).sort((a, b) => a - b);
  return {
    responses: net.length,
    kb: Math.round(net.reduce((a, e) => a + e[1], 0) / 1024),
    ttfbP50: ttfb.length ? +percentile(ttfb, 50).toFixed(1) : NaN,
    ttfbP95: ttfb.length ? +percentile(ttfb, 95).toFixed(1) : NaN,
  };
}

interface Session {
  page: Page;
  requests: () => number;
  openMs: number;
  openRequests: number;
  openTraffic: Traffic;
  close(): Promise<void>;
}

async function freshPage(
  browser: Browser,
): Promise<{ page: Page; requests: () => number; closeContext: () => Promise<void> }> {
  const context = await browser.newContext({ viewport: WINDOW });
  await context.addInitScript({ content: KEEP_RESOURCE_TIMINGS });
  const page = await context.newPage();
  let requests = 0;
  page.on('request', (r) => {
    if (isTile(r.url())) requests++;
  });
  return { page, requests: () => requests, closeContext: () => context.close() };
}

/** A fresh host (cold caches) and browser context (cold HTTP cache) with the slide opened and drawn. */
async function openFresh(browser: Browser, slidePath: string): Promise<Session & { host: TesseraHost }> {
  const host = await startTesseraHost({ openSample: false, recentFile: null });
  const { page, requests, closeContext } = await freshPage(browser);
  // The host's URL carries its session token (the page load turns it into a cookie for the tile requests).
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
    openRequests: requests(),
    openTraffic: await takeTraffic(page),
    requests,
    async close() {
      await closeContext();
      await host.close();
    },
  };
}

interface StaticServer {
  base: string;
  close(): Promise<void>;
}

const CONTENT_TYPES = new Map([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.map', 'application/json'],
  ['.dzi', 'application/xml; charset=utf-8'],
  ['.xml', 'application/xml; charset=utf-8'],
  ['.jpeg', 'image/jpeg'],
  ['.jpg', 'image/jpeg'],
  ['.png', 'image/png'],
]);

/** A plain static file server on 127.0.0.1: `/<prefix>/<path>` → `roots[prefix]/<path>`. Tiles get Tessera's cache header. */
async function startStaticServer(roots: Map<string, string>): Promise<StaticServer> {
  const server = createServer((req, res) => {
    const notFound = () => res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? '/').replace(/[?#].*$/, ''));
    } catch {
      return notFound();
    }
    const [, prefix = '', ...rest] = path.split('/');
    const root = roots.get(prefix);
    const file = root ? resolve(root, rest.join('/')) : null;
    if (!root || !file || !file.startsWith(root + sep)) return notFound();
    const type = CONTENT_TYPES.get(extname(file)) ?? 'application/octet-stream';
    readFile(file).then((body) => {
      res.writeHead(200, {
        'content-type': type,
        'content-length': body.length,
        'cache-control': type.startsWith('image/') ? 'private, max-age=86400, immutable' : 'no-store',
      });
      res.end(body);
    }, notFound);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** Why `vips dzsave` cannot run here, or null. */
function vipsMissing(): string | null {
  const r = spawnSync('vips', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? null : 'no `vips` on PATH (apt-get install libvips-tools)';
}

/** `vips dzsave` of the slide into `<dir>/slide.dzi` + `slide_files/`, with Tessera's tile size and overlap. */
async function makeDeepZoom(
  slidePath: string,
  dir: string,
  tileSize: number,
  overlap: number,
): Promise<{ seconds: number; version: string }> {
  const t0 = Date.now();
  await promisify(execFile)(
    'vips',
    [
      'dzsave',
      slidePath,
      join(dir, 'slide'),
      '--tile-size',
      String(tileSize),
      '--overlap',
      String(overlap),
      '--suffix',
      `.jpeg[Q=${ANCHOR_JPEG_QUALITY}]`,
    ],
    { maxBuffer: 16 * 2 ** 20 },
  );
  const version = spawnSync('vips', ['--version'], { encoding: 'utf8' }).stdout.trim();
  return { seconds: +((Date.now() - t0) / 1000).toFixed(1), version };
}

/** The anchor page in a fresh browser context (cold HTTP cache), the dzsave folder opened and drawn. */
async function openAnchor(
  browser: Browser,
  server: StaticServer,
  box: { width: number; height: number },
  options: object,
): Promise<Session> {
  const { page, requests, closeContext } = await freshPage(browser);
  const query = new URLSearchParams({ w: String(box.width), h: String(box.height), options: JSON.stringify(options) });
  await page.goto(`${server.base}anchor/index.html?${query}`);
  await page.waitForFunction(() => typeof window.__anchorOpen === 'function');
  const t0 = Date.now();
  await page.evaluate((url: string) => window.__anchorOpen(url), `${server.base}dz/slide.dzi`);
  await waitForDrawn(page, 120_000);
  const openMs = Date.now() - t0;
  return {
    page,
    openMs,
    openRequests: requests(),
    openTraffic: await takeTraffic(page),
    requests,
    close: closeContext,
  };
}

/** Tessera's renderer options that bear on speed (read from its live viewer), and the view constraints. */
const RENDERER_KEYS = [
  'drawer',
  'immediateRender',
  'imageLoaderLimit',
  'maxTilesPerFrame',
  'blendTime',
  'animationTime',
  'springStiffness',
  'maxImageCacheCount',
  'timeout',
  'tileRetryMax',
  'showNavigator',
  'navigatorPosition',
  'navigatorSizeRatio',
  'navigatorAutoFade',
  'loadTilesWithAjax',
  'preload',
  'minPixelRatio',
  'smoothTileEdgesMinZoom',
] as const;
const CONSTRAINT_KEYS = ['minZoomImageRatio', 'maxZoomPixelRatio', 'visibilityRatio', 'constrainDuringPan'] as const;

type OsdOptions = Record<string, unknown>;

/** The option values the page's viewer runs with (`drawer` as the drawer actually in use), and layout facts. */
function viewerFacts(page: Page): Promise<{
  options: OsdOptions;
  box: { width: number; height: number };
  tileSize: number;
  overlap: number;
  maxLevel: number;
  homeImageZoom: number;
  tileSource: string;
}> {
  return page.evaluate(
    (keys: string[]) => {
      const v = window.__tessera.viewer;
      const item = v.world.getItemAt(0);
      const s = item.source;
      const options: Record<string, unknown> = {};
      for (const k of keys) options[k] = k === 'drawer' ? (v.drawer?.getType?.() ?? v.drawer) : v[k];
      const r = v.container.getBoundingClientRect();
      return {
        options,
        box: { width: Math.round(r.width), height: Math.round(r.height) },
        tileSize: s.getTileWidth(0),
        overlap: s.tileOverlap,
        maxLevel: s.maxLevel,
        homeImageZoom: item.viewportToImageZoom(v.viewport.getHomeZoom()),
        tileSource:
          'slideId' in s ? 'TesseraTileSource (fetch → Blob, cancellable)' : 'DziTileSource (default image loading)',
      };
    },
    [...RENDERER_KEYS, ...CONSTRAINT_KEYS] as string[],
  );
}

const pick = (o: OsdOptions, keys: readonly string[]): OsdOptions =>
  Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));

interface WalkFigures {
  stepMs: number[];
  stepRequests: number[];
  moves: string[];
  traffic: Traffic;
  /** Renderer main-thread busy time over the walk (CDP Performance.getMetrics TaskDuration / ScriptDuration). */
  taskMs: number;
  scriptMs: number;
  /** CPU time of this Node process (the Tessera host, or the static server, plus the bench itself) over the walk. */
  nodeCpuMs: number;
}

/** The seeded zoom/pan walk (seed 42), each step timed to fully drawn. */
async function walkSteps(session: Session, maxDepth: number): Promise<WalkFigures> {
  const { page, requests } = session;
  await takeTraffic(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const busy = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const get = (name: string) => (metrics.find((m: { name: string }) => m.name === name)?.value ?? NaN) * 1000;
    return { task: get('TaskDuration'), script: get('ScriptDuration') };
  };
  const busyBefore = await busy();
  const cpuBefore = process.cpuUsage();
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
  const cpu = process.cpuUsage(cpuBefore);
  const busyAfter = await busy();
  await cdp.detach();
  return {
    stepMs,
    stepRequests,
    moves,
    traffic: await takeTraffic(page),
    taskMs: Math.round(busyAfter.task - busyBefore.task),
    scriptMs: Math.round(busyAfter.script - busyBefore.script),
    nodeCpuMs: Math.round((cpu.user + cpu.system) / 1000),
  };
}

const ratio = (a: number, b: number) => +(a / b).toFixed(2);
const fmt = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function openSummary(opens: Session[]) {
  const s = stats(opens.map((o) => o.openMs));
  const mid = [...opens].sort((a, b) => a.openMs - b.openMs)[Math.floor(opens.length / 2)];
  return {
    count: opens.length,
    p50: s.p50,
    max: s.max,
    eachMs: opens.map((o) => o.openMs),
    tileRequests: opens.map((o) => o.openRequests),
    traffic: mid.openTraffic,
  };
}

function walkSummary(w: WalkFigures) {
  const withTiles = w.stepMs.filter((_, i) => w.stepRequests[i] > 0);
  return {
    count: w.stepMs.length,
    ...stats(w.stepMs),
    withNewTiles: { count: withTiles.length, ...(withTiles.length ? stats(withTiles) : {}) },
    moves: w.moves,
    perStepMs: w.stepMs.map(Math.round),
    tileRequests: w.stepRequests,
    totalTileRequests: w.stepRequests.reduce((a, b) => a + b, 0),
    traffic: w.traffic,
    mainThreadMs: { task: w.taskMs, script: w.scriptMs },
    nodeCpuMs: w.nodeCpuMs,
  };
}

type OpenSummary = ReturnType<typeof openSummary>;
type WalkSummary = ReturnType<typeof walkSummary>;

const trafficLine = (t: Traffic) =>
  `${t.responses} tiles over the network, ${t.kb} KB, server time p50 ${t.ttfbP50} ms / p95 ${t.ttfbP95} ms`;

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
  const anchorSkipped = ANCHOR ? vipsMissing() : 'VIEWER_BENCH_ANCHOR=0';
  const dzDir = anchorSkipped ? null : mkdtempSync(join(tmpdir(), 'tessera-viewer-anchor-'));
  const removeDz = () => {
    if (dzDir) rmSync(dzDir, { recursive: true, force: true });
  };
  process.once('exit', removeDz);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const browser = await launchChromium();
  let server: StaticServer | null = null;
  // Sessions still open (closed at the end whatever happens).
  const live = new Set<Session>();
  const track = <S extends Session>(s: S): S => {
    live.add(s);
    const close = s.close.bind(s);
    s.close = () => {
      live.delete(s);
      return close();
    };
    return s;
  };
  try {
    // Cold opens, Tessera and anchor in turn (so a busy spell on the machine hits both alike).
    const opens: Session[] = [];
    const anchorOpens: Session[] = [];
    let facts: Awaited<ReturnType<typeof viewerFacts>> | null = null;
    let dzsave: { seconds: number; version: string } | null = null;
    let anchorOptions: OsdOptions = {};
    for (let i = 0; i < OPENS; i++) {
      await opens.at(-1)?.close();
      const s = track(await openFresh(browser, slidePath));
      opens.push(s);
      if (i === 0) {
        facts = await viewerFacts(s.page);
        anchorOptions = pick(facts.options, CONSTRAINT_KEYS);
        if (dzDir) {
          dzsave = await makeDeepZoom(slidePath, dzDir, facts.tileSize, facts.overlap);
          server = await startStaticServer(
            new Map([
              ['anchor', resolve(appRoot, 'bench', 'viewer-anchor')],
              ['openseadragon', resolve(appRoot, 'node_modules', 'openseadragon', 'build', 'openseadragon')],
              ['dz', dzDir],
            ]),
          );
        }
      }
      if (server) {
        await anchorOpens.at(-1)?.close();
        anchorOpens.push(track(await openAnchor(browser, server, facts!.box, anchorOptions)));
      }
    }
    const session = opens.at(-1)! as Session & { host: TesseraHost };
    const anchorSession = anchorOpens.at(-1);
    const layout = facts!;
    // Zoom in up to ~1:1 (a slide pixel per screen pixel), as far as pathologists usually go.
    const maxDepth = Math.max(2, Math.round(Math.log2(1 / layout.homeImageZoom)));

    const tesseraWalk = await walkSteps(session, maxDepth);
    let anchorWalk: WalkFigures | null = null;
    let anchorFacts: Awaited<ReturnType<typeof viewerFacts>> | null = null;
    if (anchorSession) {
      anchorFacts = await viewerFacts(anchorSession.page);
      anchorWalk = await walkSteps(anchorSession, maxDepth);
      await anchorSession.close();
    }

    const openT = openSummary(opens);
    const stepsT = walkSummary(tesseraWalk);
    const openA = anchorOpens.length ? openSummary(anchorOpens) : null;
    const stepsA = anchorWalk ? walkSummary(anchorWalk) : null;
    const ratios =
      openA && stepsA ? { open: ratio(openT.p50, openA.p50), stepP95: ratio(stepsT.p95, stepsA.p95) } : null;

    // Over target: the anchor again with Tessera's renderer options (fewer opens), to split the gap.
    let variant: { options: OsdOptions; open: OpenSummary; steps: WalkSummary } | null = null;
    if (server && ratios && (ratios.open > TARGET_RATIO || ratios.stepP95 > TARGET_RATIO)) {
      const options = { ...pick(layout.options, RENDERER_KEYS), ...anchorOptions };
      const vOpens: Session[] = [];
      for (let i = 0; i < Math.min(OPENS, 3); i++) {
        await vOpens.at(-1)?.close();
        vOpens.push(track(await openAnchor(browser, server, layout.box, options)));
      }
      const vWalk = await walkSteps(vOpens.at(-1)!, maxDepth);
      await vOpens.at(-1)!.close();
      variant = { options, open: openSummary(vOpens), steps: walkSummary(vWalk) };
    }

    const { page } = session;
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
    await session.close();

    const optionDiff = anchorFacts
      ? RENDERER_KEYS.filter((k) => fmt(layout.options[k]) !== fmt(anchorFacts!.options[k])).map((k) => ({
          option: k,
          tessera: layout.options[k],
          anchor: anchorFacts!.options[k],
        }))
      : [];
    const findings =
      ratios && openA && stepsA
        ? explain(
            ratios,
            { open: openT, steps: stepsT },
            { open: openA, steps: stepsA },
            variant,
            layout.tileSource,
            anchorFacts!.tileSource,
            optionDiff,
          )
        : [];

    const figures = {
      slide: slidePath,
      viewport: `${WINDOW.width}x${WINDOW.height}`,
      viewerBox: `${layout.box.width}x${layout.box.height}`,
      tileLayout: `${layout.tileSize}/${layout.overlap}`,
      open: openT,
      steps: stepsT,
      anchor:
        openA && stepsA
          ? {
              server: `Node http on 127.0.0.1, static dzsave folder (${dzsave!.version}, --tile-size ${layout.tileSize} --overlap ${layout.overlap} --suffix .jpeg[Q=${ANCHOR_JPEG_QUALITY}], ${dzsave!.seconds} s)`,
              maxLevel: { tessera: layout.maxLevel, anchor: anchorFacts!.maxLevel },
              options: anchorFacts!.options,
              open: openA,
              steps: stepsA,
              ratios,
              target: TARGET_RATIO,
              withTesseraOptions: variant,
              optionDiff,
              findings,
            }
          : { skipped: anchorSkipped },
      memory: {
        steps: HEAP_STEPS,
        before: memBefore,
        half: memHalf,
        after: memAfter,
        seconds: +heapStepsSeconds.toFixed(1),
      },
      benchSeconds: Math.round((Date.now() - started) / 1000),
    };
    const openLine = (o: OpenSummary) =>
      `p50 ${o.p50} ms over ${o.count} cold opens (${o.eachMs.join(', ')} ms), ${o.tileRequests[0]} tile requests; median open: ${trafficLine(o.traffic)}`;
    const stepLine = (st: WalkSummary) =>
      `p50 ${st.p50} ms, p95 ${st.p95} ms, max ${st.max} ms; ${st.withNewTiles.count} needed new tiles (p50 ${st.withNewTiles.p50 ?? '–'} ms, p95 ${st.withNewTiles.p95 ?? '–'} ms); ` +
      `${st.totalTileRequests} tile requests; ${trafficLine(st.traffic)}; main thread ${st.mainThreadMs.task} ms busy (${st.mainThreadMs.script} ms script), Node CPU ${st.nodeCpuMs} ms`;
    console.log(
      `viewer bench (${figures.viewport}, viewer ${figures.viewerBox}, ${slidePath.split('/').pop()}, tiles ${figures.tileLayout})`,
    );
    console.log(`  Tessera  open → first viewport drawn: ${openLine(openT)}`);
    console.log(`  Tessera  ${STEPS} zoom/pan steps → drawn: ${stepLine(stepsT)}`);
    if (openA && stepsA && ratios) {
      console.log(
        `  anchor: plain OpenSeadragon ${anchorFacts!.tileSource}, ${figures.anchor.server}; max level ${layout.maxLevel} / ${anchorFacts!.maxLevel}`,
      );
      console.log(`  anchor   open → first viewport drawn: ${openLine(openA)}`);
      console.log(`  anchor   ${STEPS} zoom/pan steps → drawn: ${stepLine(stepsA)}`);
      if (stepsA.moves.join() !== stepsT.moves.join())
        console.log('  (the walks differ: the anchor turned at other edges)');
      const mark = (r: number) => (r <= TARGET_RATIO ? 'within' : 'OVER');
      console.log(
        `  Tessera / anchor: open p50 ${ratios.open}× (${mark(ratios.open)} ${TARGET_RATIO}×), step p95 ${ratios.stepP95}× (${mark(ratios.stepP95)} ${TARGET_RATIO}×); ` +
          `step p50 ${ratio(stepsT.p50, stepsA.p50)}×`,
      );
      console.log(
        `  renderer options Tessera sets vs the anchor's defaults: ${optionDiff.map((d) => `${d.option} ${fmt(d.tessera)} vs ${fmt(d.anchor)}`).join('; ') || 'none'}`,
      );
      if (variant) {
        console.log(`  anchor with Tessera's options  open: ${openLine(variant.open)}`);
        console.log(`  anchor with Tessera's options  steps: ${stepLine(variant.steps)}`);
      }
      for (const f of findings) console.log(`  → ${f}`);
    } else console.log(`  anchor skipped: ${anchorSkipped}`);
    console.log(
      `  JS heap after GC: ${memBefore.heapMb} MB before, ${memHalf.heapMb} MB after ${Math.floor(HEAP_STEPS / 2)} and ${memAfter.heapMb} MB after ${HEAP_STEPS} more steps (${figures.memory.seconds} s); ` +
        `tiles cached ${memBefore.tilesCached} → ${memHalf.tilesCached} → ${memAfter.tilesCached}, Tile objects ${memBefore.tileObjects} → ${memHalf.tileObjects} → ${memAfter.tileObjects}`,
    );
    console.log(`  bench took ${figures.benchSeconds} s`);
    const out = join(appRoot, 'bench-output');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'viewer.json'), JSON.stringify(figures, null, 2));
  } finally {
    for (const s of [...live]) await s.close().catch(() => {});
    await server?.close();
    await browser.close();
    removeDz();
  }
}

/** What the figures say about a ratio over target: plain sentences for the output. */
function explain(
  ratios: { open: number; stepP95: number },
  t: { open: OpenSummary; steps: WalkSummary },
  a: { open: OpenSummary; steps: WalkSummary },
  variant: { open: OpenSummary; steps: WalkSummary } | null,
  tesseraSource: string,
  anchorSource: string,
  optionDiff: { option: string; tessera: unknown; anchor: unknown }[],
): string[] {
  const out: string[] = [];
  const over = ratios.open > TARGET_RATIO || ratios.stepP95 > TARGET_RATIO;
  if (!over) return [`both ratios within ${TARGET_RATIO}×`];
  const compare = (what: string, x: number, y: number, unit = '') =>
    `${what} ${x}${unit} vs ${y}${unit} (${ratio(x, y)}×)`;
  for (const [phase, ts, as] of [
    ['open', t.open.traffic, a.open.traffic],
    ['steps', t.steps.traffic, a.steps.traffic],
  ] as const) {
    out.push(
      `${phase}: ${compare('tiles fetched', ts.responses, as.responses)}, ${compare('bytes', ts.kb, as.kb, ' KB')}, ` +
        `${compare('server time p50', ts.ttfbP50, as.ttfbP50, ' ms')}, ${compare('p95', ts.ttfbP95, as.ttfbP95, ' ms')}`,
    );
  }
  out.push(
    `steps: ${compare('renderer main thread busy', t.steps.mainThreadMs.task, a.steps.mainThreadMs.task, ' ms')}, ` +
      `${compare('server-side CPU (Node process: host vs static server)', t.steps.nodeCpuMs, a.steps.nodeCpuMs, ' ms')}; tile loading: Tessera ${tesseraSource}, anchor ${anchorSource}`,
  );
  if (variant) {
    // Share of the Tessera − anchor gap that Tessera's renderer options reproduce on the static server.
    const share = (tv: number, av: number, vv: number) => (tv === av ? NaN : Math.round((100 * (vv - av)) / (tv - av)));
    const openShare = share(t.open.p50, a.open.p50, variant.open.p50);
    const stepShare = share(t.steps.p95, a.steps.p95, variant.steps.p95);
    out.push(
      `the anchor with Tessera's renderer options: open p50 ${variant.open.p50} ms (${ratio(variant.open.p50, a.open.p50)}× the anchor), step p95 ${variant.steps.p95} ms (${ratio(variant.steps.p95, a.steps.p95)}×): ` +
        `the options reproduce ~${openShare}% of the open gap and ~${stepShare}% of the step gap; the rest is the host (server time, tile route) and Tessera's tile loading`,
    );
    const changed = optionDiff.map((d) => d.option);
    if (changed.length) out.push(`options that differ: ${changed.join(', ')}`);
  }
  return out;
}

await main();
