// Encoder models through the analysis services: the list with the active one, a manifest proposed from the
// ViT-S graph, import with an edited name, broken files and mismatched manifests refused with clear errors
// (the encoder in use unchanged), switching encoders (remembered by the next session) and back.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TesseraEvent } from '../contracts/tessera-api.js';
import { defaultEncoderId } from '../encoder/default-encoder-model.js';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { AnalysisService } from './analysis-service.js';
import { ApiError } from './api-error.js';
import { SlideService } from './slide-service.js';
import { inMemoryBackend } from './testing/in-memory-backend.js';

const dataDir = tempDir('models-service');
const vit = shared('models', 'vits16-random.onnx');
let slides: SlideService;
let analysis: AnalysisService;
const events: TesseraEvent[] = [];

before(() => {
  process.env.TESSERA_DATA_DIR = dataDir;
  process.env.TESSERA_EP = 'cpu';
  slides = new SlideService(inMemoryBackend(join(dataDir, 'none.tiff')));
  slides.onEvent((e) => events.push(e));
  analysis = new AnalysisService({ slides, dataDir });
});
after(async () => {
  await analysis.close();
  await slides.closeAll();
});

const rejectsWith = (p: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });

test('the list starts with the baseline, active', async () => {
  const list = await analysis.listModels();
  assert.equal(list.activeId, defaultEncoderId);
  assert.deepEqual(
    list.models.map((m) => [m.id, m.active, m.baseline, m.origin]),
    [[defaultEncoderId, true, true, 'default']],
  );
  assert.deepEqual(list.problems, []);
});

test('propose, import with an edited name, select, remembered, select back', { skip: skipWithoutShared }, async () => {
  const draft = await analysis.proposeModelManifest(vit);
  assert.equal(draft.id, 'vits16-random');
  assert.deepEqual([draft.input.name, draft.input.size, draft.output.name, draft.output.dim], ['pixels', 224, 'embedding', 384]);
  assert.deepEqual(draft.input.mean, [0.485, 0.456, 0.406]);
  assert.match(draft.sha256, /^[0-9a-f]{64}$/);
  assert.equal(draft.licence, 'unknown');
  await rejectsWith(analysis.proposeModelManifest('relative.onnx'), 'invalid-argument', /full path/);
  await rejectsWith(analysis.proposeModelManifest(join(dataDir, 'missing.onnx')), 'not-found', /no such file/);

  // Mismatches between the form and the graph are refused, naming what disagrees.
  await rejectsWith(
    analysis.importModel({ path: vit, manifest: { ...draft, output: { ...draft.output, dim: 512 } } }),
    'graph-mismatch',
    /Could not import .*vits16-random\.onnx: .*\[batch, 512\]/,
  );
  await rejectsWith(analysis.importModel({ path: vit, manifest: { ...draft, id: 'bad id!' } }), 'manifest-invalid', /`id`/);
  await rejectsWith(analysis.importModel({ path: vit, manifest: { ...draft, id: defaultEncoderId } }), 'already-exists');
  await rejectsWith(analysis.importModel({ path: vit, manifest: null }), 'invalid-argument');

  const summary = await analysis.importModel({
    path: vit,
    manifest: { ...draft, name: 'ViT-S random (test)', magnifications: [1], licence: 'test only', sha256: '0'.repeat(64) },
  });
  assert.deepEqual(
    [summary.id, summary.name, summary.active, summary.baseline, summary.origin, summary.dim, summary.sha256],
    ['vits16-random', 'ViT-S random (test)', false, false, 'user', 384, draft.sha256],
    'the checksum is computed, never taken from the form',
  );
  assert.equal((await analysis.encoderStatus()).modelId, defaultEncoderId, 'importing does not switch');

  const status = await analysis.selectModel('vits16-random');
  assert.deepEqual([status.modelId, status.name, status.baseline, status.provider], ['vits16-random', 'ViT-S random (test)', false, 'cpu']);
  assert.deepEqual(status.magnifications, [1]);
  assert.ok(events.some((e) => e.type === 'encoder-status' && e.status.modelId === 'vits16-random'));
  const list = await analysis.listModels();
  assert.deepEqual(
    list.models.map((m) => [m.id, m.active]),
    [
      [defaultEncoderId, false],
      ['vits16-random', true],
    ],
  );
  await rejectsWith(analysis.selectModel('nope'), 'not-found', /still using "vits16-random"/);
  assert.equal((await analysis.encoderStatus()).modelId, 'vits16-random', 'a failed switch keeps the encoder');

  // The next session starts on the chosen encoder.
  const next = new AnalysisService({ slides, dataDir });
  try {
    assert.equal((await next.encoderStatus()).modelId, 'vits16-random');
  } finally {
    await next.close();
  }
  assert.equal((await analysis.selectModel(defaultEncoderId)).modelId, defaultEncoderId);
});

test('a broken file is refused with a clear error and the encoder in use stays', async () => {
  const before = (await analysis.encoderStatus()).modelId;
  const broken = join(dataDir, 'broken.onnx');
  await writeFile(broken, randomBytes(4096));
  await rejectsWith(analysis.proposeModelManifest(broken), 'onnx-invalid', /broken\.onnx is not a model onnxruntime can load/);
  const draft = {
    id: 'broken',
    name: 'Broken',
    sha256: '0'.repeat(64),
    input: { name: 'pixels', size: 224, channelOrder: 'RGB' as const, scale: 1 / 255, mean: [0, 0, 0] as [number, number, number], std: [1, 1, 1] as [number, number, number] },
    output: { name: 'embedding', dim: 384 },
    magnifications: [0.5],
    licence: 'x',
  };
  await rejectsWith(analysis.importModel({ path: broken, manifest: draft }), 'onnx-invalid', /Could not import .*broken\.onnx/);
  assert.equal((await analysis.encoderStatus()).modelId, before);
  assert.ok(!(await analysis.listModels()).models.some((m) => m.id === 'broken'));
});

test('a remembered encoder that no longer loads falls back to the baseline with a notice', async () => {
  const dir = tempDir('models-fallback');
  await writeFile(join(dir, 'encoder.json'), JSON.stringify({ modelId: 'gone' }));
  const other = new AnalysisService({ slides, dataDir: dir });
  try {
    const status = await other.encoderStatus();
    assert.equal(status.modelId, defaultEncoderId);
    assert.match(status.notices.join('\n'), /"gone" chosen last could not load/);
  } finally {
    await other.close();
  }
});
