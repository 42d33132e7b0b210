import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { tempDir } from './testing/temp-dir.js';
import { importModel, proposeManifest } from './model-import.js';
import { listModels, findModel } from './model-registry.js';
import { EncoderSession } from './encoder-session.js';
import { ModelError } from './model-errors.js';
import { defaultEncoderId } from './default-encoder-model.js';

const vit = shared('models', 'vits16-random.onnx');
const isModelError = (code: string) => (err: unknown) => err instanceof ModelError && err.code === code;

test('a manifest is proposed from the graph: input/output names, size, embedding size, checksum', { skip: skipWithoutShared }, async () => {
  const m = await proposeManifest(vit, { magnifications: [0.5, 1, 2], licence: 'test only' });
  assert.equal(m.id, 'vits16-random');
  assert.equal(m.input.name, 'pixels');
  assert.equal(m.input.size, 224);
  assert.equal(m.output.name, 'embedding');
  assert.equal(m.output.dim, 384);
  assert.match(m.sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(m.magnifications, [0.5, 1, 2]);
});

test('import copies the model into the user folder; it is listed and loads; broken copies give typed errors and keep the previous model', { skip: skipWithoutShared }, async () => {
  const models = tempDir('models');
  const folders = { user: models, builtIn: join(models, 'none') };
  const entry = await importModel(vit, { id: 'vit-test', name: 'ViT test', licence: 'test' }, { modelsDir: models });
  assert.equal(entry.dir, join(models, 'vit-test'));
  const listing = await listModels(folders);
  assert.deepEqual(listing.models.map((m) => m.manifest.id), [defaultEncoderId, 'vit-test']);

  // A wrong output size in the manifest is refused at import.
  await assert.rejects(importModel(vit, { id: 'vit-bad', output: { dim: 383 } }, { modelsDir: models }), isModelError('graph-mismatch'));
  await assert.rejects(importModel(vit, { id: 'vit-bad', input: { name: 'image' } }, { modelsDir: models }), isModelError('graph-mismatch'));
  await assert.rejects(importModel(join(models, 'missing.onnx')), isModelError('not-found'));
  // Same id, different model: refused.
  const other = join(models, 'other.onnx');
  await writeFile(other, (await readFile(vit)).subarray(0, 1000));
  await assert.rejects(importModel(other, { id: 'vit-test' }, { modelsDir: models }), isModelError('onnx-invalid'));
  const baseline = (await findModel(defaultEncoderId, folders)).onnxPath;
  await assert.rejects(importModel(baseline, { id: 'vit-test' }, { modelsDir: models }), isModelError('already-exists'));

  const session = await EncoderSession.open(await findModel(defaultEncoderId, folders), { threads: 1 });
  try {
    const before = session.model.id;
    // Damaged file: checksum mismatch.
    const damaged = join(models, 'vit-test', 'model.onnx');
    const bytes = await readFile(damaged);
    bytes[bytes.length - 10] ^= 0xff;
    await writeFile(damaged, bytes);
    await assert.rejects(session.load(await findModel('vit-test', folders)), isModelError('checksum-mismatch'));
    assert.equal(session.model.id, before);
    // Manifest that lies about the graph: graph-mismatch.
    await copyFile(vit, damaged);
    const manifestPath = join(models, 'vit-test', 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    await writeFile(manifestPath, JSON.stringify({ ...manifest, output: { name: 'embedding', dim: 512 } }));
    await assert.rejects(session.load(await findModel('vit-test', folders)), isModelError('graph-mismatch'));
    // Truncated file whose checksum matches its manifest: onnx-invalid.
    const truncated = bytes.subarray(0, 5000);
    await writeFile(damaged, truncated);
    const { createHash } = await import('node:crypto');
    await writeFile(manifestPath, JSON.stringify({ ...manifest, sha256: createHash('sha256').update(truncated).digest('hex') }));
    await assert.rejects(session.load(await findModel('vit-test', folders)), isModelError('onnx-invalid'));
    // Unreadable manifest: reported by the listing, not fatal.
    await writeFile(manifestPath, '{');
    const again = await listModels(folders);
    assert.equal(again.problems.length, 1);
    assert.equal(again.problems[0].error.code, 'manifest-invalid');
    assert.equal(session.model.id, before);
    // The previous model still embeds.
    const f = await session.embed(new Uint8Array(224 * 224 * 3).fill(200), 1);
    assert.equal(f.length, session.model.output.dim);
  } finally {
    await session.close();
  }
});
