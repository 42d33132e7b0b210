// "Find more like this" through the analysis services on the built-in sample slide and the built-in encoder:
// coverage before and after the whole-slide run, results best first and mostly on tumour for a tumour
// query, the query's own patches never among them, label by example as one undoable batch, the gallery's
// region images, and parameter errors.
import assert from 'node:assert/strict';
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { ringContains } from '../annotations/geometry.js';
import { onGrid } from '../encoder/patch-grid.js';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { SAMPLE_TUMOUR_REGIONS, ensureSampleSlide } from '../sample/sample-slide.js';
import { AnalysisService } from './analysis-service.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { createAnalysisApi } from './analysis-api.js';
import { maxTop } from './analysis-search.js';
import { ApiError } from './api-error.js';
import { createDefaultSlideBackend } from './default-slide-backend.js';
import { SlideService } from './slide-service.js';

const dataDir = tempDir('analysis-search');
let slides: SlideService;
let analysis: AnalysisService;
let slideId = '';
// Well inside tumour 1 (as e2e/analysis.test.ts); 1 µm/px grid (896 level-0 px patches) keeps the run short.
const TUMOUR_RECT = { x: 3900, y: 5300, width: 1300, height: 1300 };
const MPP = 1;

before(async () => {
  const sample = await ensureSampleSlide();
  process.env.TESSERA_DATA_DIR = dataDir;
  process.env.TESSERA_EP = 'cpu';
  slides = new SlideService(createDefaultSlideBackend());
  analysis = new AnalysisService({ slides, dataDir, autosaveDelayMs: 10 });
  slideId = (await slides.open(sample)).id;
});
after(async () => {
  await analysis.close();
  await slides.closeAll();
});

const onTumour = (x: number, y: number) => SAMPLE_TUMOUR_REGIONS.some((t) => ringContains(t.polygon, x, y));
const rejectsWith = (p: Promise<unknown>, code: string) =>
  assert.rejects(p, (err: unknown) => err instanceof ApiError && err.code === code);

test('find similar: coverage, then after the tissue run results best first, mostly tumour, never the query itself', { timeout: 240_000 }, async () => {
  const api = createAnalysisApi(analysis);
  const drawn = await api.addAnnotation({ slideId, className: 'Tumour', geometry: { type: 'rectangle', ...TUMOUR_RECT } });
  const annotationId = drawn.upserted[0].id;

  // Before the run: the query region alone is embedded; the tissue count says how much a run would add.
  const first = await api.findSimilar({ slideId, query: { annotationId }, mpp: MPP, top: 20 });
  assert.equal(first.query.annotationId, annotationId);
  assert.equal(first.query.label, 'Tumour annotation');
  assert.deepEqual([first.query.x, first.query.y, first.query.width, first.query.height], [TUMOUR_RECT.x, TUMOUR_RECT.y, TUMOUR_RECT.width, TUMOUR_RECT.height]);
  assert.ok(first.query.patches >= 1, 'the query covers patches');
  assert.equal(first.coverage.length, 1);
  const [c0] = first.coverage;
  assert.equal(c0.slideId, slideId);
  assert.ok(c0.tissue > 50, `tissue patches ${c0.tissue}`);
  assert.ok(c0.embedded < c0.tissue / 2, `only the query embedded yet (${c0.embedded} of ${c0.tissue})`);

  await analysis.embedAllTissue({ slideId, mpps: [MPP] });
  const r = await api.findSimilar({ slideId, query: { annotationId }, mpp: MPP, top: 20 });
  assert.ok(r.coverage[0].embedded >= r.coverage[0].tissue, `all tissue embedded (${r.coverage[0].embedded} of ${r.coverage[0].tissue})`);
  assert.equal(r.results.length, 20);
  for (let i = 1; i < r.results.length; i++) assert.ok(r.results[i - 1].score >= r.results[i].score, 'best first');
  for (const m of r.results) {
    assert.equal(m.slideId, slideId);
    assert.equal(m.mpp, MPP);
    assert.ok(m.size > 0 && m.score <= 1 + 1e-6 && m.score >= -1 - 1e-6);
    // None of the query's own patches (those it overlaps).
    const overlaps = m.x < TUMOUR_RECT.x + TUMOUR_RECT.width && m.x + m.size > TUMOUR_RECT.x && m.y < TUMOUR_RECT.y + TUMOUR_RECT.height && m.y + m.size > TUMOUR_RECT.y;
    assert.ok(!overlaps, `result ${m.x},${m.y} is one of the query's patches`);
  }
  const top10 = r.results.slice(0, 10);
  const tumour = top10.filter((m) => onTumour(m.x + m.size / 2, m.y + m.size / 2)).length;
  assert.ok(tumour >= 6, `${tumour} of the top 10 are centred on tumour`);

  // A point query and the open-slides scope (one slide open: the same slide).
  const point = await api.findSimilar({ slideId, query: { x: 4550, y: 5930 }, mpp: MPP, scope: 'open-slides', top: 5 });
  assert.equal(point.query.label, 'point at 4550, 5930');
  assert.equal(point.query.patches, 1);
  assert.equal(point.results.length, 5);

  await rejectsWith(api.findSimilar({ slideId, query: { annotationId: 'nope' } }), 'not-found');
  await rejectsWith(api.findSimilar({ slideId, query: { x: 1, y: 1 }, top: 0 }), 'invalid-argument');
  await rejectsWith(api.findSimilar({ slideId, query: { x: 1, y: 1 }, scope: 'everywhere' as 'slide' }), 'invalid-argument');
  await rejectsWith(api.findSimilar({ slideId, query: { x: 1, y: 1 }, mpp: 0.3 }), 'invalid-argument');

  // Label by example: the top 3 as Tumour rectangles in one undoable step.
  const geometries = r.results.slice(0, 3).map((m) => ({ type: 'rectangle' as const, x: m.x, y: m.y, width: m.size, height: m.size }));
  const added = await api.addAnnotations({ slideId, className: 'Tumour', geometries });
  assert.equal(added.upserted.length, 3);
  assert.ok(added.upserted.every((a) => a.className === 'Tumour'));
  assert.equal((await api.getAnnotations({ slideId })).annotations.length, 4);
  const undone = await api.undoAnnotations({ slideId });
  assert.deepEqual(new Set(undone.removed), new Set(added.upserted.map((a) => a.id)), 'one undo removes all three');
  assert.equal((await api.getAnnotations({ slideId })).annotations.length, 1);
  const newClass = await api.addAnnotations({ slideId, className: 'Mitosis', geometries: geometries.slice(0, 1) });
  assert.ok(newClass.classes.some((c) => c.name === 'Mitosis'), 'an unknown class is created with them');
  await api.undoAnnotations({ slideId });
  await rejectsWith(api.addAnnotations({ slideId, className: 'Tumour', geometries: [] }), 'invalid-argument');
  await rejectsWith(api.addAnnotations({ slideId, className: 'Tumour', geometries: [{ type: 'rectangle', x: 0, y: 0, width: 0, height: 5 }] }), 'invalid-argument');
});

test('regionImage: a region as a JPEG data URL of the asked size', async () => {
  const api = createAnalysisApi(analysis);
  const img = await api.regionImage({ slideId, x: 3900, y: 5300, width: 896, height: 448, size: 128 });
  assert.match(img.dataUrl, /^data:image\/jpeg;base64,/);
  assert.deepEqual([img.width, img.height], [128, 64]);
  const meta = await sharp(Buffer.from(img.dataUrl.split(',')[1], 'base64')).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 128, 64]);
  await rejectsWith(api.regionImage({ slideId, x: 0, y: 0, width: 10, height: 10, size: 4096 }), 'invalid-argument');
  await rejectsWith(api.regionImage({ slideId: 'nope', x: 0, y: 0, width: 10, height: 10 }), 'not-found');
});

test('find similar, scope cache: open and closed cached slides, named from where they were seen; a gone source says so', { skip: skipWithoutShared, timeout: 240_000 }, async () => {
  const api = createAnalysisApi(analysis);
  // A copy of CMU-1-Small-Region, opened once (a search records where it is), embedded, then closed.
  const copy = join(dataDir, 'cmu-copy.svs');
  await copyFile(shared('data', 'slides', 'CMU-1-Small-Region.svs'), copy);
  const other = await slides.open(copy);
  await analysis.embedAllTissue({ slideId: other.id, mpps: [MPP] });
  const both = await api.findSimilar({ slideId, query: { x: 4550, y: 5930 }, mpp: MPP, scope: 'open-slides', top: 5 });
  assert.equal(both.coverage.length, 2);
  await slides.close(other.id);

  const all = await api.findSimilar({ slideId, query: { x: 4550, y: 5930 }, mpp: MPP, scope: 'cache', top: maxTop });
  assert.ok(all.cache, 'the cache scope says what it searched');
  assert.equal(all.cache.slides, 2);
  assert.equal(all.cache.openSlides, 1);
  assert.equal(all.cache.method, 'exact');
  assert.equal(all.cache.missingSources, 0);
  assert.equal(all.results.length, all.cache.patches - 1, 'every cached patch but the query');
  // Only the non-overlapping grid, as the other scopes: the app's half-overlapping patches (also cached, by the
  // tissue run) would put near-copies of the query on top.
  assert.ok(all.results.every((m) => onGrid({ level0Size: m.size }, m.x, m.y)), 'patches of the non-overlapping grid');
  assert.deepEqual(all.coverage.map((c) => c.slideId), [slideId]);
  const closed = all.results.filter((m) => m.slideId === '');
  assert.ok(closed.length > 5, `patches of the closed slide: ${closed.length}`);
  for (const m of closed) {
    assert.equal(m.slideName, 'cmu-copy.svs');
    assert.deepEqual(m.source, { path: copy, exists: true });
    assert.match(m.thumbnail ?? '', /^data:image\/jpeg;base64,/);
  }
  assert.ok(all.results.filter((m) => m.slideId === slideId).every((m) => m.source === undefined && m.thumbnail === undefined));
  for (let i = 1; i < all.results.length; i++) assert.ok(all.results[i - 1].score >= all.results[i].score, 'one ranking over both');

  // The file is gone: still searched (from the cache), named, marked missing, no thumbnail.
  await rm(copy);
  const gone = await api.findSimilar({ slideId, query: { x: 4550, y: 5930 }, mpp: MPP, scope: 'cache', top: maxTop });
  assert.equal(gone.cache?.missingSources, 1);
  const g = gone.results.filter((m) => m.slideId === '');
  assert.equal(g.length, closed.length);
  assert.ok(g.every((m) => m.slideName === 'cmu-copy.svs' && m.source?.exists === false && m.thumbnail === undefined));
});
