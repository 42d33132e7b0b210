// Whole-slide (tissue only) runs through the analysis services on the built-in sample slide, with the
// built-in encoder: a coarse run completes with progress events; a fine one is cancelled and really stops.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { TesseraEvent } from '../contracts/tessera-api.js';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { ensureSampleSlide } from '../sample/sample-slide.js';
import { AnalysisService } from './analysis-service.js';
import { ApiError } from './api-error.js';
import { createDefaultSlideBackend } from './default-slide-backend.js';
import { SlideService } from './slide-service.js';

type RunEvent = Extract<TesseraEvent, { type: 'tissue-run' }>;

const dataDir = tempDir('tissue-run');
let slides: SlideService;
let analysis: AnalysisService;
let slideId = '';
const runs: RunEvent[] = [];

before(async () => {
  const sample = await ensureSampleSlide();
  process.env.TESSERA_DATA_DIR = dataDir;
  process.env.TESSERA_EP = 'cpu';
  slides = new SlideService(createDefaultSlideBackend());
  slides.onEvent((e) => {
    if (e.type === 'tissue-run') runs.push(e);
  });
  analysis = new AnalysisService({ slides, dataDir });
  slideId = (await slides.open(sample)).id;
});
after(async () => {
  await analysis.close();
  await slides.closeAll();
});

test('a coarse whole-slide run embeds every tissue patch, reporting progress', async () => {
  runs.length = 0;
  const result = await analysis.embedAllTissue({ slideId, mpps: [2] });
  assert.equal(result.cancelled, false);
  assert.deepEqual(result.mpps, [2]);
  assert.ok(result.total > 10, `tissue patches at 2 µm/px: ${result.total}`);
  assert.equal(result.done, result.total);
  assert.equal(runs[0].state, 'running');
  assert.ok(runs.every((e) => e.total === result.total), 'the total is known from the first event');
  assert.deepEqual(runs.at(-1), { type: 'tissue-run', slideId, state: 'done', mpps: [2], done: result.total, total: result.total });
  // Everything is cached now: the same run again computes nothing.
  const again = await analysis.embedAllTissue({ slideId, mpps: [2] });
  assert.deepEqual([again.done, again.total], [result.total, result.total]);
  await assert.rejects(analysis.embedAllTissue({ slideId, probeId: 'nope' }), (e: unknown) => e instanceof ApiError && e.code === 'not-found');
  await assert.rejects(analysis.embedAllTissue({ slideId, mpps: [-1] }), (e: unknown) => e instanceof ApiError && e.code === 'invalid-argument');
});

test('cancel stops a whole-slide run: it resolves as cancelled and nothing more is embedded', async () => {
  runs.length = 0;
  const running = analysis.embedAllTissue({ slideId, mpps: [0.5] });
  // Wait for the first finished batch.
  for (let i = 0; i < 600 && !runs.some((e) => e.state === 'running' && e.done > 0); i++) await sleep(50);
  assert.ok(runs.some((e) => e.done > 0), 'the run made progress');
  await assert.rejects(analysis.embedAllTissue({ slideId, mpps: [0.5] }), (e: unknown) => e instanceof ApiError && e.code === 'busy');
  await assert.rejects(analysis.selectModel('other'), (e: unknown) => e instanceof ApiError && e.code === 'busy');
  assert.equal(await analysis.cancelEmbedAllTissue(slideId), true);
  const result = await running;
  assert.equal(result.cancelled, true);
  assert.ok(result.done < result.total, `stopped early: ${result.done}/${result.total}`);
  assert.equal(runs.at(-1)!.state, 'cancelled');
  const count = runs.length;
  await sleep(500);
  assert.equal(runs.length, count, 'no progress after the cancel');
  assert.equal(await analysis.cancelEmbedAllTissue(slideId), false, 'nothing to cancel now');
  // A new run picks up where the cancelled one stopped (what was embedded stayed cached).
  runs.length = 0;
  const resumed = analysis.embedAllTissue({ slideId, mpps: [0.5] });
  for (let i = 0; i < 200 && runs.length === 0; i++) await sleep(25);
  assert.ok(runs[0].done >= result.done, `resumed from ${runs[0].done}, had ${result.done}`);
  await analysis.cancelEmbedAllTissue(slideId);
  assert.equal((await resumed).cancelled, true);
});
