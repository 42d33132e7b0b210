// Setting a slide's pixel size through the contract (setPixelSize): stored per slide content in the data
// folder, used again after close and reopen (by the slide info and the embedding grids), and cleared by null.
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { EmbeddingService } from '../encoder/embedding-service.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { slideFingerprint } from '../slide/slide-fingerprint.js';
import { pixelSizeFilePath } from '../slide/slide-pixel-size.js';
import { AnalysisService } from './analysis-service.js';
import { createDefaultSlideBackend } from './default-slide-backend.js';
import { SlideService } from './slide-service.js';
import { createTesseraApi } from './tessera-services.js';
import type { TesseraApi, TesseraEvent } from '../contracts/tessera-api.js';

const TCGA = shared('data', 'slides', 'TCGA-CR-7395-01A-01-TS1.svs');
const dataDir = tempDir('pixel-size');
let slides: SlideService;
let embeddings: EmbeddingService;
let analysis: AnalysisService;
let api: TesseraApi;
const events: TesseraEvent[] = [];

before(() => {
  slides = new SlideService(createDefaultSlideBackend(), undefined, { dataDir });
  slides.onEvent((e) => events.push(e));
  embeddings = new EmbeddingService({ cacheDir: tempDir('pixel-size-cache'), dataDir });
  analysis = new AnalysisService({ slides, dataDir, embeddings });
  api = createTesseraApi({ slides, transport: 'browser', analysis });
});
after(async () => {
  await analysis.close();
  await embeddings.close();
  await slides.closeAll();
});

test('a pixel size set for a slide without MPP persists across close and reopen, and clears', { skip: skipWithoutShared }, async () => {
  let info = await api.openSlide({ path: TCGA });
  assert.equal(info.mpp, null);
  assert.deepEqual(info.scale, { mpp: 0.5, source: 'assumed' });
  const fp = await slideFingerprint(TCGA);
  const ctx = await embeddings.slide(TCGA);
  assert.equal(embeddings.grid(ctx, 0.5).level0Size, 224);

  await assert.rejects(api.setPixelSize({ slideId: info.id, mpp: 0 }), /outside 0\.01–100/);
  await assert.rejects(api.setPixelSize({ slideId: info.id, mpp: '0.3' as unknown as number }), /must be a number/);
  info = await api.setPixelSize({ slideId: info.id, mpp: 0.25 });
  assert.deepEqual(info.scale, { mpp: 0.25, source: 'user' });
  assert.deepEqual((await api.getSlideInfo({ id: info.id })).scale, info.scale);
  assert.ok(events.some((e) => e.type === 'slide-info-changed' && e.slide.scale.mpp === 0.25));
  // Stored beside the annotations, keyed by the slide's content; the open slide's grids follow at once.
  const stored = JSON.parse(await readFile(pixelSizeFilePath(fp, dataDir), 'utf8')) as { slideFingerprint: string; mpp: number };
  assert.deepEqual([stored.slideFingerprint, stored.mpp], [fp, 0.25]);
  assert.deepEqual((await embeddings.slide(TCGA)).scale, { mpp: 0.25, assumed: false, source: 'user' });
  assert.equal(embeddings.grid(await embeddings.slide(TCGA), 0.5).level0Size, 448);

  // Close and reopen (a fresh slide service and embedding service, as a later session): still 0.25.
  await api.closeSlide({ id: info.id });
  const later = new SlideService(createDefaultSlideBackend(), undefined, { dataDir });
  const laterEmbeddings = new EmbeddingService({ cacheDir: tempDir('pixel-size-cache-2'), dataDir });
  try {
    const reopened = await later.open(TCGA);
    assert.deepEqual(reopened.scale, { mpp: 0.25, source: 'user' });
    assert.deepEqual((await laterEmbeddings.slide(TCGA)).scale, { mpp: 0.25, assumed: false, source: 'user' });
  } finally {
    await laterEmbeddings.close();
    await later.closeAll();
  }

  // Cleared: back to assumed, the file is gone, and so it stays on the next open.
  info = await api.openSlide({ path: TCGA });
  assert.deepEqual(info.scale, { mpp: 0.25, source: 'user' });
  info = await api.setPixelSize({ slideId: info.id, mpp: null });
  assert.deepEqual(info.scale, { mpp: 0.5, source: 'assumed' });
  await assert.rejects(access(pixelSizeFilePath(fp, dataDir)), /ENOENT/);
  assert.equal(embeddings.grid(await embeddings.slide(TCGA), 0.5).level0Size, 224);
  await api.closeSlide({ id: info.id });
  assert.deepEqual((await api.openSlide({ path: TCGA })).scale, { mpp: 0.5, source: 'assumed' });
});
