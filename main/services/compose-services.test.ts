// The composition root wires one event bus through every service: what the slide service and the analysis
// service publish reaches a transport's one subscription; a failing listener does not stop the others.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TesseraEvent } from '../contracts/tessera-api.js';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { composeServices } from './compose-services.js';
import { EventBus } from './event-bus.js';
import { inMemoryBackend } from './testing/in-memory-backend.js';

test('one bus: the slide service publishes to the subscriber the transports use; the API runs over the composed services', async () => {
  const dir = tempDir('compose-services');
  const slidePath = join(dir, 'slide.tiff');
  await writeFile(slidePath, 'x'); // the in-memory backend opens any path; the file gives the fingerprint
  const services = composeServices({ transport: 'browser', backend: inMemoryBackend(slidePath), recentFile: null, dataDir: dir });
  const seen: TesseraEvent['type'][] = [];
  services.events.on((e) => seen.push(e.type));
  try {
    const info = await services.api.openSlide({ path: slidePath });
    assert.ok(seen.includes('slides-changed'), seen.join(','));
    const annotations = await services.analysis.annotations(info.id);
    assert.equal(annotations.store.doc.annotations.length, 0);
    assert.equal((await services.api.getAppInfo()).exportsFolder, join(dir, 'exports'));
    await services.api.closeSlide({ id: info.id });
    assert.equal(seen.filter((t) => t === 'slides-changed').length, 2);
    assert.throws(() => services.analysis.annotations(info.id), /No open slide/);
  } finally {
    await services.close();
  }
});

test('the bus delivers to every listener even when one throws', () => {
  const bus = new EventBus();
  const got: string[] = [];
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  bus.on(() => {
    throw new Error('transport bug');
  });
  const off = bus.on((e) => got.push(e.type));
  bus.emit({ type: 'error', message: 'x' });
  off();
  bus.emit({ type: 'error', message: 'y' });
  assert.deepEqual(got, ['error']);
  assert.equal(bus.size, 1);
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      process.off('warning', onWarning);
      assert.match(warnings.join('\n'), /transport bug/);
      resolve();
    }),
  );
});

test('after close, a request still arriving is refused: no annotation store or embedding starts again', async () => {
  const dir = tempDir('compose-closed');
  const slidePath = join(dir, 'slide.tiff');
  await writeFile(slidePath, 'x');
  const services = composeServices({ transport: 'browser', backend: inMemoryBackend(slidePath), recentFile: null, dataDir: dir });
  const info = await services.api.openSlide({ path: slidePath });
  await services.analysis.annotations(info.id);
  await services.analysis.close();
  await assert.rejects(services.api.setViewport({ slideId: info.id, rect: { x: 0, y: 0, width: 100, height: 100 } }), /shutting down/);
  assert.throws(() => services.analysis.annotations(info.id), /shutting down/);
  await services.slides.closeAll();
});
