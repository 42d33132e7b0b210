// Annotation editing through the contract on a small in-memory slide (no encoder): deleting with repeated
// ids, and autosave failures reaching the renderer as notices.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseDocument, saveDocument } from '../annotations/annotation-file.js';
import type { TesseraApi, TesseraEvent } from '../contracts/tessera-api.js';
import { AnalysisService, type AnalysisServiceOptions } from './analysis-service.js';
import { SlideService } from './slide-service.js';
import { createTesseraApi } from './tessera-services.js';
import { inMemoryBackend } from './testing/in-memory-backend.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-svc-ann-'));
  await writeFile(join(dir, 'slide.svs'), 'slide bytes');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function open(
  options: Partial<AnalysisServiceOptions> = {},
): Promise<{ api: TesseraApi; slides: SlideService; analysis: AnalysisService; slideId: string; dataDir: string }> {
  const dataDir = await mkdtemp(join(dir, 'data-'));
  const slides = new SlideService(inMemoryBackend(join(dir, 'slide.svs')));
  const analysis = new AnalysisService({ slides, dataDir, autosaveDelayMs: 10, ...options });
  const api = createTesseraApi({ slides, transport: 'browser', analysis });
  const slideId = (await slides.open(join(dir, 'slide.svs'))).id;
  return { api, slides, analysis, slideId, dataDir };
}

/** Polls `done` every 10 ms for up to 10 s (the suite may run on a loaded machine). */
async function waitFor(done: () => boolean | Promise<boolean>): Promise<void> {
  for (let waited = 0; !(await done()) && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
}

const point = (x: number) => ({ type: 'point' as const, x, y: 1 });

test('deleting the same id twice in one call deletes it once; undo restores exactly one annotation with that id', async () => {
  const { api, slides, analysis, slideId } = await open();
  try {
    const a = (await api.addAnnotation({ slideId, className: 'Tumour', geometry: point(1) })).upserted[0].id;
    const b = (await api.addAnnotation({ slideId, className: 'Normal', geometry: point(2) })).upserted[0].id;
    const removed = await api.deleteAnnotations({ slideId, ids: [a, a, b, a] });
    assert.deepEqual(removed.removed.sort(), [a, b].sort());
    assert.equal((await api.getAnnotations({ slideId })).annotations.length, 0);
    const undone = await api.undoAnnotations({ slideId });
    assert.equal(undone.upserted.length, 2);
    const ids = (await api.getAnnotations({ slideId })).annotations.map((x) => x.id);
    assert.deepEqual(ids.sort(), [a, b].sort(), 'each id exactly once');
    // Redo and undo again keep it that way.
    await api.redoAnnotations({ slideId });
    await api.undoAnnotations({ slideId });
    assert.deepEqual((await api.getAnnotations({ slideId })).annotations.map((x) => x.id).sort(), [a, b].sort());
  } finally {
    await analysis.close();
    await slides.closeAll();
  }
});

test('a saved document never holds one id twice after delete + undo', async () => {
  const { api, slides, analysis, slideId, dataDir } = await open();
  try {
    const a = (await api.addAnnotation({ slideId, className: 'Tumour', geometry: point(1) })).upserted[0].id;
    await api.deleteAnnotations({ slideId, ids: [a, a] });
    await api.undoAnnotations({ slideId });
    const store = (await analysis.annotations(slideId)).store;
    await store.flush();
    const saved = parseDocument(await readFile(store.path, 'utf8'));
    assert.deepEqual(
      saved.annotations.map((x) => x.id),
      [a],
    );
    assert.ok(store.path.startsWith(dataDir));
  } finally {
    await analysis.close();
    await slides.closeAll();
  }
});

test('a failing autosave reaches the renderer once as an error notice with the reason; shutdown rejects with it', async () => {
  let failing = true;
  const saves: number[] = [];
  const { api, slides, analysis, slideId } = await open({
    saveAnnotations: async (path, doc) => {
      saves.push(Date.now());
      if (failing)
        throw Object.assign(new Error(`ENOSPC: no space left on device, write '${path}.tmp'`), {
          code: 'ENOSPC',
          syscall: 'write',
        });
      await saveDocument(path, doc);
    },
  });
  const events: TesseraEvent[] = [];
  slides.onEvent((e) => events.push(e));
  const notices = () => events.filter((e): e is Extract<TesseraEvent, { type: 'error' }> => e.type === 'error');
  try {
    await api.addAnnotation({ slideId, className: 'Tumour', geometry: point(1) });
    await waitFor(() => saves.length >= 2);
    const a = await analysis.annotations(slideId);
    assert.equal(a.saveState.status, 'failed');
    assert.match(a.saveState.error ?? '', /disk is full \(ENOSPC\)/);
    assert.equal(notices().length, 1, 'announced once, not on every retry');
    assert.match(notices()[0].message, /annotations of slide\.svs could not be saved: the disk is full \(ENOSPC\)/);
    assert.doesNotMatch(notices()[0].message, /\.tmp|\//);
    // More edits while the disk is full do not repeat the notice; shutdown reports what could not be saved.
    await api.addAnnotation({ slideId, className: 'Tumour', geometry: point(2) });
    await assert.rejects(
      analysis.close(),
      /Annotations could not be saved \(slide\.svs: the disk is full \(ENOSPC\)\)/,
    );
    assert.ok(notices().some((n) => /could not be saved when it closed/.test(n.message)));
    // Once the disk has room again, saving works (here: the store's own close, tried again).
    failing = false;
    await a.store.close();
    assert.equal(parseDocument(await readFile(a.store.path, 'utf8')).annotations.length, 2);
  } finally {
    failing = false;
    await analysis.close().catch(() => {});
    await slides.closeAll();
  }
});

test('a failing autosave that recovers saves by itself and announces a new failure again', async () => {
  let failing = true;
  const { api, slides, analysis, slideId } = await open({
    saveAnnotations: async (path, doc) => {
      if (failing) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO', syscall: 'write' });
      await saveDocument(path, doc);
    },
  });
  const events: TesseraEvent[] = [];
  slides.onEvent((e) => events.push(e));
  try {
    await api.addAnnotation({ slideId, className: 'Tumour', geometry: point(1) });
    const a = await analysis.annotations(slideId);
    await waitFor(() => a.saveState.status === 'failed');
    failing = false;
    // The retry (1 s after the first failure) saves without another edit.
    await waitFor(() => a.saveState.status === 'saved');
    assert.equal(a.saveState.status, 'saved');
    assert.equal(parseDocument(await readFile(a.store.path, 'utf8')).annotations.length, 1);
    failing = true;
    await api.addAnnotation({ slideId, className: 'Tumour', geometry: point(2) });
    await waitFor(() => a.saveState.status === 'failed');
    assert.equal(events.filter((e) => e.type === 'error').length, 2);
  } finally {
    failing = false;
    await analysis.close();
    await slides.closeAll();
  }
});

test('class edits through the contract: new class refuses a taken name, rename, delete with a choice, lock; each undoable', async () => {
  const { api, slides, analysis, slideId } = await open();
  try {
    const a = (await api.addAnnotation({ slideId, className: 'Tumour', geometry: point(1) })).upserted[0].id;
    await api.addAnnotation({ slideId, className: 'Normal', geometry: point(2) });
    await assert.rejects(api.editAnnotationClass({ slideId, name: 'Tumour', create: true, colour: [0, 0, 255] }), { code: 'exists' });
    const tumour = (await api.getAnnotations({ slideId })).classes.find((c) => c.name === 'Tumour');
    assert.deepEqual(tumour?.colour, [200, 0, 0], 'not recoloured');
    const created = await api.editAnnotationClass({ slideId, name: 'Necrosis', create: true });
    const created2 = await api.editAnnotationClass({ slideId, name: 'Fat', create: true });
    const colours = created2.classes.map((c) => c.colour.join(','));
    assert.equal(new Set(colours).size, colours.length, 'distinct default colours');
    assert.ok(created.classes.some((c) => c.name === 'Necrosis'));

    const renamed = await api.editAnnotationClass({ slideId, name: 'Tumour', rename: 'Carcinoma' });
    assert.deepEqual(renamed.upserted.map((x) => [x.id, x.className]), [[a, 'Carcinoma']]);
    await api.undoAnnotations({ slideId });
    assert.equal((await api.getAnnotations({ slideId })).annotations.find((x) => x.id === a)?.className, 'Tumour');

    await assert.rejects(api.editAnnotationClass({ slideId, name: 'Tumour', delete: {} as never }), { code: 'invalid-argument' });
    const moved = await api.editAnnotationClass({ slideId, name: 'Tumour', delete: { annotations: 'move', to: 'Normal' } });
    assert.deepEqual(moved.upserted.map((x) => x.className), ['Normal']);
    assert.ok(!moved.classes.some((c) => c.name === 'Tumour'));
    await api.undoAnnotations({ slideId });
    const deleted = await api.editAnnotationClass({ slideId, name: 'Tumour', delete: { annotations: 'delete' } });
    assert.deepEqual(deleted.removed, [a]);
    await api.undoAnnotations({ slideId });

    await api.editAnnotationClass({ slideId, name: 'Tumour', locked: true });
    await assert.rejects(api.updateAnnotation({ slideId, id: a, geometry: point(5) }), { code: 'locked' });
    await api.editAnnotationClass({ slideId, name: 'Tumour', locked: false });
    await api.updateAnnotation({ slideId, id: a, geometry: point(5) });
  } finally {
    await analysis.close();
    await slides.closeAll();
  }
});

test('importing the same GeoJSON twice adds nothing the second time; replace swaps everything in one undo', async () => {
  const { api, slides, analysis, slideId } = await open();
  try {
    const file = join(dir, 'twice.geojson');
    const feature = (x: number, name: string) => ({
      type: 'Feature',
      geometry: { type: 'Polygon', coordinates: [[[x, 0], [x + 50, 0], [x + 50, 50], [x, 0]]] },
      properties: { objectType: 'annotation', name, classification: { name: 'Tumour' } },
    });
    await writeFile(file, JSON.stringify({ type: 'FeatureCollection', features: [feature(0, 'a'), feature(100, 'b')] }));
    await api.addAnnotation({ slideId, className: 'Normal', geometry: point(1) });
    const first = await api.importAnnotations({ slideId, path: file });
    assert.equal(first.upserted.length, 2);
    const second = await api.importAnnotations({ slideId, path: file });
    assert.equal(second.upserted.length, 0);
    assert.equal(second.duplicates, 2);
    assert.match(second.warnings?.join('\n') ?? '', /2 annotations are already on this slide/);
    assert.equal((await api.getAnnotations({ slideId })).annotations.length, 3);
    const replaced = await api.importAnnotations({ slideId, path: file, mode: 'replace' });
    assert.equal(replaced.replaced, 3);
    assert.equal((await api.getAnnotations({ slideId })).annotations.length, 2);
    await api.undoAnnotations({ slideId });
    assert.equal((await api.getAnnotations({ slideId })).annotations.length, 3);
  } finally {
    await analysis.close();
    await slides.closeAll();
  }
});
