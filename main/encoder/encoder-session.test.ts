import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { tempDir } from './testing/temp-dir.js';
import { EncoderSession } from './encoder-session.js';
import { findModel } from './model-registry.js';
import { defaultEncoderId } from './default-encoder-model.js';
import { normalisePixels } from './pixel-normalise.js';
import { openSlide } from '../slide/open-slide.js';
import { SlideError } from '../slide/slide-errors.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { PatchReader } from './patch-reader.js';
import { patchGrid, slideScale } from './patch-grid.js';

test('the worker-thread session embeds exactly what an in-process onnxruntime session computes', async () => {
  const models = tempDir('session');
  const entry = await findModel(defaultEncoderId, { user: models });
  const session = await EncoderSession.open(entry, { threads: 1, providers: ['cpu'] });
  try {
    assert.equal(session.provider, 'cpu');
    const n = 3;
    const rgb = new Uint8Array(n * 224 * 224 * 3);
    for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7919) % 251;
    const expected = await (async () => {
      const s = await ort.InferenceSession.create(entry.onnxPath);
      const x = normalisePixels(rgb, n, entry.manifest.input);
      const out = await s.run({ pixels: new ort.Tensor('float32', x, [n, 3, 224, 224]) });
      return out.embedding.data as Float32Array;
    })();
    const got = await session.embed(rgb.slice(), n);
    assert.equal(got.length, n * entry.manifest.output.dim);
    assert.deepEqual(Array.from(got), Array.from(expected));
  } finally {
    await session.close();
  }
});

test('patches prepared in the preparation worker embed exactly as pixels read here; an unreadable slide is a SlideError', { skip: skipWithoutShared }, async () => {
  const cmu = shared('data', 'slides', 'CMU-1-Small-Region.svs');
  const entry = await findModel(defaultEncoderId, { user: tempDir('session-prep') });
  const session = await EncoderSession.open(entry, { threads: 1, providers: ['cpu'] });
  const slide = await openSlide(cmu);
  try {
    for (const mpp of [0.5, 2]) {
      const grid = patchGrid(mpp, slideScale(slide));
      // 10 patches (run as 8 + 2), one over the right edge of the slide.
      const coords = Int32Array.from({ length: 20 }, (_, k) => (k % 2 === 0 ? [0, 449, 898, 1347, 1796, 2100, 300, 700, 1200, 1500][k / 2] : 900 + (k % 4) * 100));
      const pixels = session.pixelBuffer(10);
      await new PatchReader(slide, grid).readBatch(coords, pixels);
      const here = await session.embed(pixels, 10);
      const there = await session.embedPatches(cmu, grid, coords);
      assert.deepEqual(Array.from(there), Array.from(here));
    }
    await assert.rejects(session.embedPatches('/no/such/slide.svs', patchGrid(0.5, slideScale(slide)), Int32Array.from([0, 0])), (e: unknown) => e instanceof SlideError);
  } finally {
    await slide.close();
    await session.close();
  }
});

test('an execution provider that cannot start falls back to cpu with a visible notice', async () => {
  const models = tempDir('session-ep');
  const entry = await findModel(defaultEncoderId, { user: models });
  const bundled = ort.listSupportedBackends().find((b) => b.name === 'webgpu' && b.bundled);
  const session = await EncoderSession.open(entry, { threads: 1, providers: ['webgpu', 'cpu'] });
  const notices: string[] = [];
  session.on('notice', (n) => notices.push(n));
  try {
    if (bundled && session.provider === 'webgpu') return; // a machine with a GPU adapter: nothing to fall back from
    assert.equal(session.provider, 'cpu');
    if (bundled) assert.match(session.notices.join('\n'), /webgpu .*falling back/);
  } finally {
    await session.close();
  }
});

test('normalisation applies scale, mean, std and channel order', () => {
  const rgb = Uint8Array.from([255, 0, 51]);
  const f = normalisePixels(rgb, 1, { name: 'x', size: 1, channelOrder: 'BGR', scale: 1 / 255, mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 0.5] });
  assert.deepEqual(Array.from(f).map((v) => +v.toFixed(4)), [(0.2 - 0.5) / 0.5, (0 - 0.5) / 0.25, (1 - 0.5) / 0.5].map((v) => +v.toFixed(4)));
});
