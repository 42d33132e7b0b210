// The live heatmap (services/live-heatmaps.ts) and its binary route (services/heatmap-routes.ts) in the
// browser host, on the sample slide: a snapshot of what the cache holds, then, while the view is embedded,
// deltas with only the new cells (not rebuilds), all classes at once; applied to the snapshot they equal the
// full recompute (getHeatmap) of every class, byte for byte. The browser host's binary route serves the same
// bytes behind its token and the open-slide check, and refuses malformed requests.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { HeatmapUpdate, TesseraEvent } from '../contracts/tessera-api.js';
import { decodeHeatmapUpdate } from '../common/heatmap-update-codec.js';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { SAMPLE_TRAINING_ANNOTATIONS } from '../heatmap/testing/sample-heatmap-quality.js';
import { startBrowserHost, type BrowserHost } from './browser-host.js';
import { ensureSampleSlide } from '../sample/sample-slide.js';
import { AnalysisService } from '../services/analysis-service.js';
import { createDefaultSlideBackend } from '../services/default-slide-backend.js';
import { SlideService } from '../services/slide-service.js';
import { createTesseraApi } from '../services/tessera-services.js';

const TOKEN = 'live-heatmap-test-token-0123456789';
const dataDir = tempDir('live-heatmaps');
const events: TesseraEvent[] = [];
let slides: SlideService;
let analysis: AnalysisService;
let host: BrowserHost;
let slideId = '';
let probeId = '';

before(async () => {
  process.env.TESSERA_DATA_DIR = dataDir;
  process.env.TESSERA_EP = 'cpu';
  slides = new SlideService(createDefaultSlideBackend());
  slides.onEvent((e) => events.push(e));
  analysis = new AnalysisService({ slides, dataDir, autosaveDelayMs: 10 });
  host = await startBrowserHost({ api: createTesseraApi({ slides, transport: 'browser', analysis }), slides, token: TOKEN, rendererDir: dataDir });
  slideId = (await slides.open(await ensureSampleSlide())).id;
  const a = await analysis.annotations(slideId);
  for (const ann of SAMPLE_TRAINING_ANNOTATIONS) a.add(ann.className, ann.geometry);
  // Two magnifications: batches of either complete rows of the other.
  probeId = (await analysis.trainProbe({ slideId, mpps: [1, 2] })).id;
});
after(async () => {
  await host.close();
  await analysis.close();
  await slides.closeAll();
});

/** The renderer's side: every class of every cell, from a snapshot and the deltas after it. */
class Held {
  values = new Uint8Array(0);
  version = 0;
  k = 0;
  apply(u: HeatmapUpdate): void {
    const h = u.header;
    if (h.kind === 'snapshot') {
      this.k = h.classNames.length;
      this.values = new Uint8Array(h.cols * h.rows * this.k).fill(255);
    } else assert.equal(h.since, this.version, 'a delta applies to the version held');
    u.cells.forEach((c, i) => this.values.set(u.values.subarray(i * this.k, (i + 1) * this.k), c * this.k));
    this.version = h.version;
  }
}

async function embedView(rect: { x: number; y: number; width: number; height: number }): Promise<void> {
  events.length = 0;
  await analysis.setViewport(slideId, rect, [1, 2]);
  const last = () => events.filter((e) => e.type === 'embedding-progress').at(-1) as Extract<TesseraEvent, { type: 'embedding-progress' }> | undefined;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !(last() && last()!.done === last()!.total && last()!.total > 0)) await new Promise((r) => setTimeout(r, 100));
  assert.ok(last() && last()!.done === last()!.total, JSON.stringify(last()));
}

test('batches update the live raster: deltas of new cells only, equal to the full recompute of every class', async () => {
  const held = new Held();
  const first = decodeHeatmapUpdate(await analysis.heatmapUpdate({ slideId, probeId }));
  assert.equal(first.header.kind, 'snapshot');
  assert.ok(first.header.scored > 0, 'the training regions are scored');
  assert.ok(first.tissue && first.tissue.some((v) => v === 1) && first.tissue.some((v) => v === 0), 'the tissue mask comes with the snapshot');
  assert.equal(first.header.probe.trainedOnThisSlide, true);
  held.apply(first);
  const scoredBefore = first.header.scored;

  await embedView({ x: 9000, y: 5000, width: 2500, height: 2000 });
  const delta = decodeHeatmapUpdate(await analysis.heatmapUpdate({ slideId, probeId, since: held.version }));
  assert.equal(delta.header.kind, 'delta', 'the batches were applied as they came: no rebuild');
  assert.ok(delta.header.changed > 0 && delta.header.scored > scoredBefore, `${delta.header.changed} changed, ${scoredBefore} → ${delta.header.scored} scored`);
  assert.ok(delta.header.changed < delta.header.scored, 'only the new cells travel');
  assert.equal(delta.tissue, null);
  held.apply(delta);
  // Nothing new: an empty delta.
  const none = decodeHeatmapUpdate(await analysis.heatmapUpdate({ slideId, probeId, since: held.version }));
  assert.equal(none.header.kind, 'delta');
  assert.equal(none.header.changed, 0);

  await equalsFullRecompute(held, delta.header.classNames, delta.header.scored);
  // Too far behind (a version it never had) or none: a snapshot.
  assert.equal(decodeHeatmapUpdate(await analysis.heatmapUpdate({ slideId, probeId, since: held.version + 5 })).header.kind, 'snapshot');
  await analysis.setViewport(slideId, null);

  // Patches stored without batch events (as a whole-slide run or training stores them): the store sizes give
  // them away, the raster is recomputed, and still only the changed cells travel.
  const svc = analysis['core'].embeddings;
  const ctx = await svc.slide(slides.info(slideId).path);
  for (const mpp of [1, 2]) {
    const store = await svc.store(ctx, mpp);
    const t = svc.grid(ctx, mpp, analysis['core'].stride).level0Stride!;
    const coords = Int32Array.from([0, 1, 2].flatMap((j) => [0, 1, 2].flatMap((i) => [Math.round(i * t), Math.round(j * t)])));
    await store.append(coords, Float32Array.from({ length: 9 * store.dim }, (_, i) => Math.sin(i)));
  }
  const outOfBand = decodeHeatmapUpdate(await analysis.heatmapUpdate({ slideId, probeId, since: held.version }));
  assert.equal(outOfBand.header.kind, 'delta');
  assert.ok(outOfBand.header.changed > 0 && outOfBand.header.changed <= 9, `${outOfBand.header.changed} cells changed`);
  held.apply(outOfBand);
  await equalsFullRecompute(held, outOfBand.header.classNames, outOfBand.header.scored);
});

test("a whole-slide run's batches reach the live raster as they land: no rebuild, deltas equal to the full recompute", async () => {
  const live = analysis['live'] as unknown as { build: (...a: unknown[]) => Promise<unknown> };
  const held = new Held();
  held.apply(decodeHeatmapUpdate(await analysis.heatmapUpdate({ slideId, probeId })));
  const build = live.build.bind(live);
  let builds = 0;
  live.build = (...a: unknown[]) => {
    builds++;
    return build(...a);
  };
  try {
    const run = await analysis.embedAllTissue({ slideId, probeId });
    assert.ok(run.total > 0 && run.done === run.total && !run.cancelled, JSON.stringify(run));
    const u = decodeHeatmapUpdate(await analysis.heatmapUpdate({ slideId, probeId, since: held.version }));
    assert.equal(u.header.kind, 'delta');
    assert.equal(builds, 0, 'the raster followed the run batch by batch: nothing to rebuild');
    held.apply(u);
    await equalsFullRecompute(held, u.header.classNames, u.header.scored);
  } finally {
    live.build = build;
  }
});

/** The full recompute (getHeatmap), class by class over the whole slide, equals what is held, byte for byte. */
async function equalsFullRecompute(held: Held, classNames: string[], scored: number): Promise<void> {
  for (const [k, className] of classNames.entries()) {
    const full = await analysis.heatmap({ slideId, probeId, className });
    assert.equal(full.cols * full.rows, held.values.length / held.k);
    assert.equal(full.scored, scored);
    const bytes = Buffer.from(full.values, 'base64');
    let differ = 0;
    for (let c = 0; c < bytes.length; c++) if (bytes[c] !== held.values[c * held.k + k]) differ++;
    assert.equal(differ, 0, `${className}: ${differ} cells differ from the full recompute`);
  }
}

test('the binary route: bytes behind the token and the open-slide check; malformed requests refused', async () => {
  const url = (path: string) => new URL(path, host.base);
  const get = (path: string, headers: Record<string, string> = { 'x-tessera-token': TOKEN }) => fetch(url(path), { headers });
  const ok = await get(`heatmap/${slideId}/${probeId}`);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'application/octet-stream');
  const u = decodeHeatmapUpdate(new Uint8Array(await ok.arrayBuffer()));
  assert.equal(u.header.kind, 'snapshot');
  assert.equal(u.header.slideId, slideId);
  const since = await get(`heatmap/${slideId}/${probeId}?since=${u.header.version}`);
  assert.equal(decodeHeatmapUpdate(new Uint8Array(await since.arrayBuffer())).header.kind, 'delta');

  assert.equal((await get(`heatmap/${slideId}/${probeId}`, {})).status, 401, 'no token');
  assert.equal((await get(`heatmap/${slideId}/${probeId}`, { 'x-tessera-token': 'wrong-token-0123456789abcdef0' })).status, 401, 'wrong token');
  assert.equal((await get(`heatmap/0123456789abcdef/${probeId}`)).status, 404, 'a slide not opened this session');
  for (const bad of [`heatmap/${slideId}/${probeId}?since=abc`, `heatmap/${slideId}/${probeId}?since=-1`, `heatmap/${slideId}/${probeId}?since=1&since=2`, `heatmap/${slideId}/${probeId}?rect=1`, `heatmap/${slideId}`, `heatmap/${slideId}/..%2Fx`, `heatmap/NOT-HEX/${probeId}`]) {
    const r = await get(bad);
    assert.equal(r.status, 400, `${bad}: ${r.status} ${await r.text()}`);
  }
  assert.equal((await get(`heatmap/${slideId}/no-such-probe`)).status, 404, 'an unknown probe');
  const post = await fetch(url(`heatmap/${slideId}/${probeId}`), { method: 'POST', headers: { 'x-tessera-token': TOKEN } });
  assert.equal(post.status, 405);
  // The JSON API cannot carry the bytes: it says where they are.
  const json = await fetch(url('api/getHeatmapUpdate'), { method: 'POST', headers: { 'x-tessera-token': TOKEN, 'content-type': 'application/json' }, body: JSON.stringify({ slideId, probeId }) });
  assert.equal(json.status, 400);
  assert.match(((await json.json()) as { error: { message: string } }).error.message, /GET \/heatmap\//);
});
