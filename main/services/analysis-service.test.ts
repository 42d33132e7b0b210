// The analysis services over the real slide engine, encoder and cache, on the built-in sample slide:
// annotation editing (deltas, undo/redo, classes, persistence, import/export, a corrupt import changing
// nothing), probe training on the slide's annotations, heatmaps, the encoder check, exports and events.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { AnnotationDelta, TesseraEvent } from '../contracts/tessera-api.js';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { SAMPLE_TUMOUR_REGIONS, ensureSampleSlide } from '../sample/sample-slide.js';
import { createDefaultSlideBackend } from './default-slide-backend.js';
import { AnalysisService } from './analysis-service.js';
import { UNSCORED } from './analysis-heatmap.js';
import { SlideService } from './slide-service.js';
import { ApiError } from './api-error.js';

const dataDir = tempDir('analysis');
let slides: SlideService;
let analysis: AnalysisService;
let slideId = '';
const events: TesseraEvent[] = [];

before(async () => {
  const sample = await ensureSampleSlide(); // from the usual cache; models and embeddings in a fresh folder
  process.env.TESSERA_DATA_DIR = dataDir;
  process.env.TESSERA_EP = 'cpu';
  slides = new SlideService(createDefaultSlideBackend());
  slides.onEvent((e) => events.push(e));
  analysis = new AnalysisService({ slides, dataDir, autosaveDelayMs: 10 });
  slideId = (await slides.open(sample)).id;
});
after(async () => {
  await analysis.close();
  await slides.closeAll();
});

/**
 * A service with a data folder of its own, so its annotation document starts empty with the default classes
 * whatever other tests did (the shared `analysis` keeps the models and embeddings the probe tests use).
 */
async function withOwnAnalysis(
  name: string,
  run: (service: AnalysisService, dir: string) => Promise<void>,
): Promise<void> {
  const dir = tempDir(name);
  const service = new AnalysisService({ slides, dataDir: dir, autosaveDelayMs: 10 });
  try {
    await run(service, dir);
  } finally {
    await service.close();
  }
}

const rejectsWith = (p: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(
    p,
    (err: unknown) => err instanceof ApiError && err.code === code && (!message || message.test(err.message)),
  );

test('annotations: add, reshape, relabel, delete, undo/redo as deltas; user classes; saved across sessions', () =>
  withOwnAnalysis('analysis-annotations', async (own, ownDir) => {
    const a = await own.annotations(slideId);
    assert.deepEqual(
      a.snapshot().classes.map((c) => c.name),
      ['Tumour', 'Normal', 'Stroma', 'Background'],
    );
    const d1 = a.add('Tumour', { type: 'rectangle', x: 100, y: 100, width: -50, height: 40 });
    assert.equal(d1.upserted.length, 1);
    assert.deepEqual(
      d1.upserted[0].geometry,
      { type: 'rectangle', x: 50, y: 100, width: 50, height: 40 },
      'normalised',
    );
    const id = d1.upserted[0].id;
    const d2 = a.add('Normal', {
      type: 'polygon',
      rings: [
        [
          [0, 0],
          [10, 0],
          [10, 10],
        ],
      ],
    });
    assert.ok(d2.revision > d1.revision);
    const moved = a.update(id, { type: 'rectangle', x: 60, y: 100, width: 50, height: 40 }, undefined);
    assert.equal((moved.upserted[0].geometry as { x: number }).x, 60);
    const relabelled = a.update(id, undefined, 'Necrosis');
    assert.ok(
      relabelled.classes.some((c) => c.name === 'Necrosis'),
      'a new class name becomes a class',
    );
    assert.equal(relabelled.upserted[0].className, 'Necrosis');
    const undone = a.undo();
    assert.equal(undone.upserted[0].className, 'Tumour');
    assert.ok(
      !undone.classes.some((c) => c.name === 'Necrosis'),
      'the class added with the relabel goes with its undo',
    );
    assert.equal(a.redo().upserted[0].className, 'Necrosis');
    const removed = a.remove([d2.upserted[0].id]);
    assert.deepEqual(removed.removed, [d2.upserted[0].id]);
    const coloured = a.setClass('Mitosis', [255, 0, 255]);
    assert.deepEqual(coloured.classes.at(-1), { name: 'Mitosis', colour: [255, 0, 255] });
    assert.throws(() => a.add('Tumour', { type: 'rectangle', x: 0, y: 0, width: NaN, height: 1 }), /finite/);
    assert.throws(() => a.add('Tumour', { type: 'circle' }), /Unknown geometry/);
    assert.throws(() => a.update('nope', undefined, 'Tumour'), /No annotation/);
    assert.throws(() => a.setClass('X', [300, 0, 0]), /0–255/);
    // Saved, and read back by a later session.
    await a.store.flush();
    const again = new AnalysisService({ slides, dataDir: ownDir });
    try {
      const snap = (await again.annotations(slideId)).snapshot();
      assert.deepEqual(
        snap.annotations.map((x) => x.id),
        [id],
      );
      assert.ok(snap.classes.some((c) => c.name === 'Mitosis'));
    } finally {
      await again.close();
    }
  }));

test('annotations: GeoJSON export refuses to overwrite; a corrupt import is refused and changes nothing', () =>
  withOwnAnalysis('analysis-geojson', async (own, ownDir) => {
    const a = await own.annotations(slideId);
    a.add('Tumour', { type: 'rectangle', x: 0, y: 0, width: 10, height: 10 });
    const before = a.snapshot();
    assert.equal(before.annotations.length, 1);
    const out = join(ownDir, 'regions.geojson');
    assert.deepEqual(await a.export(out, false), { path: out, count: before.annotations.length });
    await rejectsWith(a.export(out, false), 'exists');
    const fc = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(fc.features[0].properties.classification.name, 'Tumour');
    const bad = join(ownDir, 'bad.geojson');
    await writeFile(
      bad,
      '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0,0],[1',
    );
    await rejectsWith(a.import(bad), 'invalid-file', /Nothing was changed/);
    await rejectsWith(a.import(join(ownDir, 'missing.geojson')), 'not-found');
    assert.equal(a.snapshot().revision, before.revision);
    const again: AnnotationDelta = await a.import(out);
    assert.equal(again.upserted.length, 0, 're-importing our own export (merge) adds no copies');
    assert.equal(a.snapshot().annotations.length, before.annotations.length);
    const replaced: AnnotationDelta = await a.import(out, 'replace');
    assert.equal(
      replaced.upserted.length,
      before.annotations.length,
      "replace puts the file's annotations in place of all",
    );
    assert.equal(a.snapshot().annotations.length, before.annotations.length);
    a.undo();
    assert.equal(a.snapshot().annotations.length, before.annotations.length);
  }));

test('probe: trains on the slide annotations, heatmap hotter in tumour, exports every format, refuses another encoder', async () => {
  const a = await analysis.annotations(slideId);
  // Only this test annotates the shared service's slide: it trains on exactly these.
  assert.deepEqual(a.snapshot().annotations, [], 'no annotations left by another test');
  const [t1, , t3] = SAMPLE_TUMOUR_REGIONS.map((t) => t.polygon);
  a.add('Tumour', { type: 'polygon', rings: [t1] });
  a.add('Tumour', { type: 'polygon', rings: [t3] });
  a.add('Normal', { type: 'rectangle', x: 7200, y: 4200, width: 1800, height: 1800 });
  a.add('Normal', { type: 'rectangle', x: 11400, y: 7800, width: 1800, height: 1800 });
  a.add('Stroma', { type: 'point', x: 10, y: 10 }); // a point never trains
  await rejectsWith(analysis.trainProbe({ slideId, classes: ['Tumour'] }), 'invalid-argument', /at least two classes/);
  events.length = 0;
  const summary = await analysis.trainProbe({ slideId, mpps: [1] });
  assert.deepEqual(
    summary.classes.map((c) => c.name),
    ['Tumour', 'Normal'],
  );
  assert.ok(
    summary.perClassCount.every((n) => n > 0),
    JSON.stringify(summary.perClassCount),
  );
  assert.ok(
    summary.crossValidation && summary.crossValidation.macroAuroc > 0.8,
    JSON.stringify(summary.crossValidation),
  );
  assert.equal(summary.encoder.modelId, 'tessera-stain-texture-v1');
  assert.ok(
    events.some((e) => e.type === 'progress' && e.task.startsWith('train:')),
    'training progress events',
  );
  assert.deepEqual(
    (await analysis.listProbes()).map((p) => p.id),
    [summary.id],
  );

  const raster = await analysis.heatmap({ slideId, probeId: summary.id });
  assert.equal(raster.className, 'Tumour');
  assert.equal(raster.cellSize, 448, 'patches every half patch');
  assert.equal(raster.cellOffset, 224);
  const values = Buffer.from(raster.values, 'base64');
  assert.equal(values.length, raster.cols * raster.rows);
  assert.ok(raster.scored > 10);
  const at = (x: number, y: number) =>
    values[
      (Math.floor((y - raster.cellOffset) / raster.cellSize) - raster.row0) * raster.cols +
        Math.floor((x - raster.cellOffset) / raster.cellSize) -
        raster.col0
    ];
  const tumourCell = at(4550, 5900);
  const normalCell = at(8100, 5100);
  assert.ok(tumourCell !== UNSCORED && normalCell !== UNSCORED);
  assert.ok(tumourCell > normalCell, `tumour ${tumourCell} vs normal ${normalCell}`);
  const part = await analysis.heatmap({
    slideId,
    probeId: summary.id,
    rect: { x: 4000, y: 4000, width: 2000, height: 2000 },
  });
  assert.deepEqual([part.col0, part.row0, part.cols, part.rows], [8, 8, 5, 5]);

  const out = (name: string) => join(dataDir, name);
  const png = await analysis.exportHeatmap({
    slideId,
    probeId: summary.id,
    format: 'png',
    path: out('h.png'),
    downsample: 64,
  });
  assert.ok(png.bytes > 0 && png.patches === raster.scored);
  assert.deepEqual([(await sharp(out('h.png')).metadata()).width], [320]);
  await rejectsWith(
    analysis.exportHeatmap({ slideId, probeId: summary.id, format: 'png', path: out('h.png') }),
    'exists',
  );
  await analysis.exportHeatmap({
    slideId,
    probeId: summary.id,
    format: 'png',
    path: out('h.png'),
    overwrite: true,
    downsample: 128,
  });
  assert.equal((await sharp(out('h.png')).metadata()).width, 160);
  await analysis.exportHeatmap({ slideId, probeId: summary.id, format: 'tiff', path: out('h.tif'), downsample: 16 });
  assert.ok(((await sharp(out('h.tif')).metadata()).pages ?? 1) > 1, 'pyramidal');
  await analysis.exportHeatmap({ slideId, probeId: summary.id, format: 'geojson', path: out('h.geojson') });
  assert.equal(JSON.parse(await readFile(out('h.geojson'), 'utf8')).type, 'FeatureCollection');
  await analysis.exportHeatmap({ slideId, probeId: summary.id, format: 'csv', path: out('h.csv') });
  assert.equal((await readFile(out('h.csv'), 'utf8')).split('\n')[0], 'slide,mpp,x,y,size,Tumour,Normal');
  await analysis.exportHeatmap({ slideId, probeId: summary.id, format: 'html', path: out('r.html') });
  assert.match(await readFile(out('r.html'), 'utf8'), /<svg/);
  await rejectsWith(
    analysis.exportHeatmap({ slideId, probeId: summary.id, format: 'csv', path: out('x.png') }),
    'invalid-argument',
    /\.csv/,
  );
  await rejectsWith(
    analysis.exportHeatmap({ slideId, probeId: summary.id, format: 'csv', path: 'relative.csv' }),
    'invalid-argument',
    /full path/,
  );

  // A probe of another encoder is refused with a clear message.
  const other = JSON.parse(await readFile(summary.path, 'utf8'));
  other.encoder = { modelId: 'path-foundation-v1', checksum: null };
  await writeFile(out('other-probe.json'), JSON.stringify(other));
  const loaded = await analysis.loadProbe(out('other-probe.json'));
  await rejectsWith(
    analysis.heatmap({ slideId, probeId: loaded.id }),
    'encoder-mismatch',
    /trained on encoder "path-foundation-v1"/,
  );
});

test('viewport: visible tissue is embedded in the background with progress events', async () => {
  const status = await analysis.encoderStatus();
  assert.equal(status.modelId, 'tessera-stain-texture-v1');
  assert.equal(status.provider, 'cpu');
  assert.equal(status.baseline, true);
  events.length = 0;
  await analysis.setViewport(slideId, { x: 9000, y: 5000, width: 2000, height: 1500 });
  const deadline = Date.now() + 30_000;
  const last = () =>
    events.filter((e) => e.type === 'embedding-progress').at(-1) as
      Extract<TesseraEvent, { type: 'embedding-progress' }> | undefined;
  while (Date.now() < deadline && !(last() && last()!.done === last()!.total && last()!.total > 0))
    await new Promise((r) => setTimeout(r, 100));
  const p = last();
  assert.ok(p && p.total > 0 && p.done === p.total, JSON.stringify(p));
  assert.equal(p.slideId, slideId);
  await analysis.setViewport(slideId, null);
});

test('viewport: setViewport with mpps embeds only those magnifications', async () => {
  const { magnifications } = await analysis.encoderStatus();
  assert.ok(magnifications.length >= 2, `${magnifications}`);
  const only = Math.max(...magnifications); // the coarsest: fewest patches
  const svc = analysis['core'].embeddings;
  const ctx = await svc.slide(slides.info(slideId).path);
  const sizes = () => Promise.all(magnifications.map(async (m) => (await svc.store(ctx, m)).size));
  const before = await sizes();
  events.length = 0;
  await analysis.setViewport(slideId, { x: 4000, y: 6500, width: 3000, height: 2500 }, [only]);
  const deadline = Date.now() + 30_000;
  const last = () =>
    events.filter((e) => e.type === 'embedding-progress').at(-1) as
      Extract<TesseraEvent, { type: 'embedding-progress' }> | undefined;
  while (Date.now() < deadline && !(last() && last()!.done === last()!.total && last()!.total > 0))
    await new Promise((r) => setTimeout(r, 100));
  const p = last();
  assert.ok(p && p.total > 0 && p.done === p.total, JSON.stringify(p));
  const after = await sizes();
  magnifications.forEach((m, i) => {
    if (m === only) assert.ok(after[i] > before[i], `${m} µm/px was embedded: ${before[i]} → ${after[i]}`);
    else assert.equal(after[i], before[i], `${m} µm/px was not embedded`);
  });
  await analysis.setViewport(slideId, null);
  await rejectsWith(
    analysis.setViewport(slideId, { x: 4000, y: 6500, width: 100, height: 100 }, [0.123]),
    'invalid-argument',
    /none of 0.123/,
  );
  await rejectsWith(analysis.setViewport(slideId, { x: 0, y: 0, width: 1, height: 1 }, [-1]), 'invalid-argument');
});
