import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EmbeddingService } from './embedding-service.js';
import { EmbeddingScheduler } from './embedding-scheduler.js';
import { PatchReader } from './patch-reader.js';
import { tempDir } from './testing/temp-dir.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { ModelError } from './model-errors.js';
import { SlideError } from '../slide/slide-errors.js';

const cmu = shared('data', 'slides', 'CMU-1-Small-Region.svs');
const tcga = shared('data', 'slides', 'TCGA-CR-7395-01A-01-TS1.svs');

function service(name: string): EmbeddingService {
  const dir = tempDir(name);
  return new EmbeddingService({ folders: { user: join(dir, 'models'), builtIn: join(dir, 'none') }, cacheDir: join(dir, 'cache'), batchSize: 16, session: { providers: ['cpu'] } });
}

test('embed a region: one set per magnification, tissue only, features equal to encoding the patch pixels; aborts', { skip: skipWithoutShared }, async () => {
  const svc = service('svc');
  try {
    const models = await svc.listModels();
    assert.equal(models.models[0].manifest.baseline, true);
    await assert.rejects(svc.useModel('no-such-model'), (e: unknown) => e instanceof ModelError && e.code === 'not-found');
    const region = { x: 500, y: 800, width: 1000, height: 800 };
    const batches: { mpp: number; coords: Int32Array }[] = [];
    const sets = await svc.embed(cmu, { region, onBatch: (b) => batches.push(b) });
    // Every patch embedded came out in exactly one batch, once stored (what live heatmaps score).
    for (const set of sets) {
      const got = batches.filter((b) => b.mpp === set.grid.mpp).flatMap((b) => [...b.coords]);
      assert.equal(got.length, set.coords.length, `${set.grid.mpp} µm/px`);
      assert.deepEqual(new Set(got.map((v, k) => (k % 2 ? '' : `${v},${got[k + 1]}`)).filter(Boolean)), new Set([...set.coords].map((v, k, a) => (k % 2 ? '' : `${v},${a[k + 1]}`)).filter(Boolean)));
    }
    // A second run finds everything cached: no batches.
    batches.length = 0;
    await svc.embed(cmu, { region, onBatch: (b) => batches.push(b) });
    assert.equal(batches.length, 0);
    assert.deepEqual(sets.map((s) => s.grid.mpp), [0.5, 1, 2]);
    const [fine] = sets;
    assert.equal(fine.modelId, svc.model!.id);
    assert.equal(fine.dim, svc.model!.output.dim);
    assert.equal(fine.features.length, (fine.coords.length / 2) * fine.dim);
    assert.ok(fine.coords.length / 2 >= 10);
    assert.equal(fine.slideMppAssumed, undefined);
    // Centre first: the first patch is the one nearest the region's centre.
    const s = fine.grid.level0Size;
    const d = (k: number) => Math.hypot(fine.coords[2 * k] + s / 2 - 1000, fine.coords[2 * k + 1] + s / 2 - 1200);
    assert.ok(d(0) <= d(fine.coords.length / 2 - 1));
    // Row 0 is the embedding of that patch's pixels.
    const { session } = await svc.encoder();
    const ctx = await svc.slide(cmu);
    const px = session.pixelBuffer(1);
    await new PatchReader(ctx.reader, fine.grid).read(fine.coords[0], fine.coords[1], px);
    const direct = await session.embed(px, 1);
    // (Equal up to float rounding: onnxruntime sums in a different order for a batch of 1.)
    const row = fine.features.subarray(0, fine.dim);
    direct.forEach((v, j) => assert.ok(Math.abs(v - row[j]) <= 1e-4 * Math.max(1, Math.abs(v)), `feature ${j}: ${row[j]} vs ${v}`));
    // Aborting stops the run with an AbortError.
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(svc.embed(cmu, { signal: ac.signal }), { name: 'AbortError' });
  } finally {
    await svc.close();
  }
});

test('a slide without MPP is embedded at the assumed 0.5 µm/px and flagged', { skip: skipWithoutShared }, async () => {
  const svc = service('svc-nompp');
  try {
    const [set] = await svc.embed(tcga, { mpps: [2], region: { x: 1500, y: 1500, width: 900, height: 900 } });
    assert.equal(set.slideMppAssumed, true);
    assert.equal(set.grid.level0Size, 896);
    assert.ok(set.coords.length > 0);
  } finally {
    await svc.close();
  }
});

test('the scheduler embeds a viewport centre first, drops work that left the view, and reports progress', { skip: skipWithoutShared }, async () => {
  const svc = service('sched');
  try {
    const ctx = await svc.slide(cmu);
    const sched = new EmbeddingScheduler(svc, ctx, { batchSize: 4 });
    const batches: { mpp: number; coords: Int32Array }[] = [];
    const progress: { done: number; total: number }[] = [];
    sched.on('embedded', (b) => batches.push(b));
    sched.on('progress', (p) => progress.push(p));
    // First viewport: the top half; immediately replaced by the bottom half.
    await sched.setViewport({ x: 0, y: 0, width: 2220, height: 1400 });
    await sched.setViewport({ x: 200, y: 1900, width: 1600, height: 900 });
    await sched.idle();
    const last = progress.at(-1)!;
    assert.equal(last.done, last.total);
    assert.ok(last.total > 10);
    // Work from the first viewport stops after the batches already in the encoder (pipeline depth 2 + the one being read).
    const outside = batches.filter((b) => b.coords[1] < 1400 - 900);
    assert.ok(outside.length <= 3, `${outside.length} batches from the dropped viewport`);
    // Centre first: the second viewport's patches (at each magnification, in the order they were embedded)
    // are ever farther from its centre, and the first ones embedded are nearer than the last ones.
    const view = { x: 200, y: 1900, width: 1600, height: 900 };
    const cx = view.x + view.width / 2;
    const cy = view.y + view.height / 2;
    const order = new Map<number, number[]>(); // mpp → distance of each patch centre, in embedding order
    let secondView = 0;
    for (const b of batches) {
      const grid = svc.grid(ctx, b.mpp);
      const visible = await svc.patchesIn(ctx, grid, view);
      const keys = new Set<string>();
      for (let k = 0; k < visible.length; k += 2) keys.add(`${visible[k]},${visible[k + 1]}`);
      let inView = true;
      for (let k = 0; k < b.coords.length; k += 2) inView &&= keys.has(`${b.coords[k]},${b.coords[k + 1]}`);
      if (!inView) continue; // in the encoder when the viewport changed
      secondView++;
      const half = grid.level0Size / 2;
      const list = order.get(b.mpp) ?? [];
      for (let k = 0; k < b.coords.length; k += 2) list.push(Math.hypot(b.coords[k] + half - cx, b.coords[k + 1] + half - cy));
      order.set(b.mpp, list);
    }
    assert.ok(secondView >= 3, `${secondView} batches of the second viewport`);
    for (const [mpp, d] of order) {
      for (let i = 1; i < d.length; i++) assert.ok(d[i] >= d[i - 1] - 1e-6, `at ${mpp} µm/px patch ${i} (${d[i]} px from the centre) was embedded after one farther out (${d[i - 1]} px)`);
    }
    const finest = order.get(Math.min(...order.keys()))!;
    assert.ok(finest.length >= 8, `${finest.length} finest patches in the second viewport`);
    const quarter = Math.max(1, Math.floor(finest.length / 4));
    const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    assert.ok(mean(finest.slice(0, quarter)) < mean(finest.slice(-quarter)), 'the first patches embedded are nearer the centre than the last');
    // Everything visible is in the cache now: a new scheduler has nothing to do.
    const again = new EmbeddingScheduler(svc, ctx);
    let ran = false;
    again.on('embedded', () => (ran = true));
    await again.setViewport({ x: 200, y: 1900, width: 1600, height: 900 });
    await again.idle();
    assert.equal(ran, false);
    assert.deepEqual(again.progress(), { done: last.done, total: last.total });
  } finally {
    await svc.close();
  }
});

test('a scheduler whose service has closed reports the error once and goes idle, instead of retrying for ever', { skip: skipWithoutShared, timeout: 30_000 }, async () => {
  const svc = service('sched-closed');
  const ctx = await svc.slide(cmu);
  const sched = new EmbeddingScheduler(svc, ctx, { batchSize: 4 });
  const errors: Error[] = [];
  sched.on('error', (e: Error) => errors.push(e));
  await sched.setViewport({ x: 0, y: 0, width: 600, height: 600 }, [2]); // layers made, a little embedded
  await sched.idle();
  await svc.close();
  // A viewport that arrives after the close (a late request from the renderer) finds work to queue.
  let encoderCalls = 0;
  const encoder = svc.encoder.bind(svc);
  svc.encoder = () => {
    encoderCalls++;
    return encoder();
  };
  const idle = new Promise<void>((resolve) => sched.once('idle', resolve));
  await sched.setViewport({ x: 1200, y: 1500, width: 1000, height: 1000 }, [2]);
  await idle;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(errors.length, 1, errors.map((e) => e.message).join('; '));
  assert.match(errors[0].message, /closed/);
  assert.equal(encoderCalls, 1, 'one attempt, no retry loop');
});

test('several regions (glass included) embed each patch once; cached() returns what the cache holds and embeds nothing', { skip: skipWithoutShared }, async () => {
  const svc = service('svc-cached');
  try {
    const empty = await svc.cached(cmu, { mpps: [1] });
    assert.equal(empty[0].coords.length, 0);
    assert.equal(empty[0].grid.mpp, 1);
    // Two overlapping rectangles, one on empty glass (top right).
    const regions = [
      { x: 0, y: 0, width: 900, height: 900 },
      { x: 600, y: 600, width: 600, height: 600 },
      { x: 1600, y: 0, width: 500, height: 500 },
    ];
    const [set] = await svc.embed(cmu, { mpps: [1], regions, includeBackground: true });
    const keys = new Set<string>();
    for (let k = 0; k < set.coords.length; k += 2) keys.add(`${set.coords[k]},${set.coords[k + 1]}`);
    assert.equal(keys.size, set.coords.length / 2, 'each patch once');
    // 449 px patches: 3×3 under the first rectangle (the second lies within them), 2×2 under the third.
    assert.equal(keys.size, 9 + 4, [...keys].join(' '));
    const [tissueOnly] = await svc.embed(cmu, { mpps: [1], regions });
    assert.ok(tissueOnly.coords.length < set.coords.length, 'the tissue mask drops glass patches');
    const [cached] = await svc.cached(cmu, { mpps: [1] });
    assert.equal(cached.coords.length, set.coords.length);
    assert.deepEqual(new Set(Array.from({ length: cached.coords.length / 2 }, (_, i) => `${cached.coords[2 * i]},${cached.coords[2 * i + 1]}`)), keys);
    assert.equal(cached.features.length, set.features.length);
  } finally {
    await svc.close();
  }
});

test('a magnification far finer than the slide is refused quickly and clearly, without ballooning memory', { skip: skipWithoutShared, timeout: 60_000 }, async () => {
  const svc = service('svc-tiny-mpp');
  try {
    await svc.useModel();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const watch = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const t0 = Date.now();
    try {
      for (const mpps of [[0.001], [1e-6], [0.5, 0.001]]) {
        await assert.rejects(svc.embed(cmu, { mpps }), (e: unknown) => e instanceof SlideError && e.code === 'invalid-argument' && /0\.001|0\.000001/.test(e.message) && /finer than/.test(e.message));
      }
      await assert.rejects(svc.cached(cmu, { mpps: [0.001] }), /finer than/);
    } finally {
      clearInterval(watch);
    }
    assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);
    assert.ok(peak - rss0 < 300 << 20, `RSS grew by ${Math.round((peak - rss0) / 2 ** 20)} MiB`);
    // The slide and service stay usable.
    const [set] = await svc.embed(cmu, { mpps: [2], region: { x: 0, y: 0, width: 900, height: 900 } });
    assert.equal(set.grid.mpp, 2);
  } finally {
    await svc.close();
  }
});

test('closing while the model is still loading stops its workers (nothing keeps the process alive)', async () => {
  const { getActiveResourcesInfo } = process;
  const svc = service('close-while-loading');
  const workersBefore = getActiveResourcesInfo().filter((r) => r === 'MessagePort').length;
  const loading = svc.useModel(); // starts the encoder and preparation workers
  await svc.close(); // before the load has finished
  await assert.rejects(loading, (err: unknown) => err instanceof ModelError && /closed/.test(err.message));
  await assert.rejects(svc.useModel(), /closed/, 'a closed service loads nothing');
  // Give terminated workers a moment to release their ports.
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(getActiveResourcesInfo().filter((r) => r === 'MessagePort').length <= workersBefore, 'no worker ports left');
});

test('a slide another service holds open is read through its reader (one handle), never closed here, and replaced when it is', { skip: skipWithoutShared }, async () => {
  const { openSlide } = await import('../slide/open-slide.js');
  let lent = await openSlide(cmu);
  let open = true;
  const dir = tempDir('lent');
  const svc = new EmbeddingService({ folders: { user: join(dir, 'models'), builtIn: join(dir, 'none') }, cacheDir: join(dir, 'cache'), openReaders: (path) => (open && path === cmu ? { reader: lent, fingerprint: null } : undefined) });
  try {
    const ctx = await svc.slide(cmu);
    assert.equal(ctx.reader, lent);
    assert.equal(ctx.ownsReader, false);
    assert.equal(ctx.path, cmu); // the preparation worker still opens it by path
    assert.ok((await ctx.tissue).isTissue(1000, 1000, 200) !== undefined);
    // The lender closed it and opened it again: the context follows.
    await lent.close();
    lent = await openSlide(cmu);
    assert.equal((await svc.slide(cmu)).reader, lent);
    // Closed for good: the service opens its own reader (and closes it itself).
    open = false;
    const own = await svc.slide(cmu);
    assert.notEqual(own.reader, lent);
    assert.equal(own.ownsReader, true);
    await svc.close();
    // The lent reader still reads.
    assert.equal((await lent.readRegion(0, 0, 0, 8, 8)).width, 8);
  } finally {
    await svc.close();
    await lent.close();
  }
});
