// The three reference timm checkpoints in ../shared (ViT-S/16; ViT-L/16 with LayerScale; patch-14 packed
// SwiGLU with 8 registers and no class position embedding), every parameter random, imported in both weight
// forms (a snapshot folder with model.safetensors; one with only pytorch_model.bin; a lone file with its config), must
// give timm's own outputs: the normalised input, forward_features' tokens and the embedding, within 1e-4,
// starting from the real H&E patch pixels and going through the app's encoder worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { importCheckpoint, inspectCheckpoint } from './checkpoint-import.js';
import { openSafetensors } from './safetensors-file.js';
import { readTimmConfig } from './timm-config.js';
import { decideVitSpec } from './vit-spec.js';
import { buildVitGraph } from './vit-graph.js';
import { writeOnnxStreaming } from '../onnx/onnx-stream-writer.js';
import { EncoderSession } from '../encoder-session.js';
import { normalisePixels } from '../pixel-normalise.js';
import { listModels } from '../model-registry.js';
import { tempDir } from '../testing/temp-dir.js';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';

const families = ['timm-vit-s16', 'timm-vit-l16-layerscale', 'timm-vit-h14-swiglu-reg8'];

async function f32(path: string): Promise<Float32Array> {
  const b = await readFile(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length, 'same number of values');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The reference patches' RGB bytes, interleaved, as the patch reader hands them to the encoder. */
async function referencePixels(dir: string): Promise<Uint8Array> {
  const ref = JSON.parse(await readFile(join(dir, 'reference.json'), 'utf8')) as { patches: string[] };
  const out = new Uint8Array(ref.patches.length * 224 * 224 * 3);
  for (const [i, name] of ref.patches.entries()) {
    const { data, info } = await sharp(shared('data', 'patches', 'crc-val-he-7k', name)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [224, 224, 3]);
    out.set(data, i * 224 * 224 * 3);
  }
  return out;
}

for (const family of families) {
  const dir = shared('models', 'checkpoints', family);
  for (const form of ['safetensors', 'pytorch'] as const) {
    test(`${family} (${form}) imports and embeds as timm does, from the patch pixels through the encoder worker`, { skip: skipWithoutShared }, async () => {
      const models = tempDir(`ckpt-${family}-${form}`);
      let source = dir;
      if (form === 'pytorch') {
        // A snapshot folder holding only config.json and pytorch_model.bin (the hub's older weight form).
        source = join(models, 'download');
        await mkdir(source, { recursive: true });
        await copyFile(join(dir, 'pytorch_model.bin'), join(source, 'pytorch_model.bin'));
        await copyFile(join(dir, 'config.json'), join(source, 'config.json'));
      }
      const entry = await importCheckpoint(source, { modelsDir: models, overrides: { id: `${family}-${form}` } });
      assert.equal(entry.manifest.checkpoint?.format, form);
      assert.deepEqual(entry.manifest.input.mean, [0.485, 0.456, 0.406]);
      assert.equal(entry.manifest.output.dim, 96);
      const listed = await listModels({ user: models });
      assert.ok(listed.models.some((m) => m.manifest.id === `${family}-${form}`), 'the imported model is listed');

      const rgb = await referencePixels(dir);
      const input = await f32(join(dir, 'input.f32'));
      assert.ok(maxAbsDiff(normalisePixels(rgb, 3, entry.manifest.input), input) <= 1e-5, 'the app normalises as timm does');

      const session = await EncoderSession.open(entry, { threads: 1, providers: ['cpu'] });
      try {
        const got = await session.embed(rgb.slice(), 3);
        const diff = maxAbsDiff(got, await f32(join(dir, 'embedding.f32')));
        assert.ok(diff <= 1e-4, `embedding max |Δ| = ${diff}`);
      } finally {
        await session.close();
      }
    });
  }

  test(`${family}: forward_features tokens match timm's, inline and as external data`, { skip: skipWithoutShared }, async () => {
    const out = tempDir(`ckpt-tokens-${family}`);
    const weights = await openSafetensors(join(dir, 'model.safetensors'));
    try {
      const spec = decideVitSpec(weights.tensors, await readTimmConfig(join(dir, 'config.json')));
      const tokens = await f32(join(dir, 'tokens.f32'));
      const input = await f32(join(dir, 'input.f32'));
      for (const inlineLimit of [undefined, 0]) {
        const { model, weights: lazy } = buildVitGraph(spec, weights, { tokensOutput: true });
        const path = join(out, `m-${inlineLimit ?? 'inline'}.onnx`);
        const written = await writeOnnxStreaming(path, model, lazy, { inlineLimit });
        assert.equal(written.storage, inlineLimit === 0 ? 'external' : 'inline');
        const s = await ort.InferenceSession.create(path);
        const r = await s.run({ pixels: new ort.Tensor('float32', input, [3, 3, 224, 224]) });
        await s.release();
        const diff = maxAbsDiff(r.tokens.data as Float32Array, tokens);
        assert.ok(diff <= 1e-4, `tokens max |Δ| = ${diff}`);
      }
    } finally {
      await weights.close();
    }
  });
}

test('a lone weights file with its config.json given separately imports too', { skip: skipWithoutShared }, async () => {
  const dir = shared('models', 'checkpoints', 'timm-vit-h14-swiglu-reg8');
  const models = tempDir('ckpt-lone');
  const lone = join(models, 'download', 'weights.bin');
  await mkdir(join(models, 'download'), { recursive: true });
  await copyFile(join(dir, 'pytorch_model.bin'), lone);
  await assert.rejects(inspectCheckpoint(lone), /number of attention heads/, 'without its config the heads are unknown');
  const entry = await importCheckpoint(lone, { modelsDir: join(models, 'models'), config: join(dir, 'config.json') });
  assert.equal(entry.manifest.id, 'download');
  const session = await EncoderSession.open(entry, { threads: 1, providers: ['cpu'] });
  try {
    const diff = maxAbsDiff(await session.embed(await referencePixels(dir), 3), await f32(join(dir, 'embedding.f32')));
    assert.ok(diff <= 1e-4, `embedding max |Δ| = ${diff}`);
  } finally {
    await session.close();
  }
});

test('the preview names the architecture it read, and no known model for random tiny widths', { skip: skipWithoutShared }, async () => {
  const p = await inspectCheckpoint(shared('models', 'checkpoints', 'timm-vit-h14-swiglu-reg8'));
  assert.match(p.manifest.checkpoint.architecture, /ViT 2×96, 4 heads, patch 14 at 224 px, packed GLU \(silu\), LayerScale, class token, 8 registers, no class position embedding/);
  assert.equal(p.manifest.checkpoint.preset, null);
  assert.equal(p.manifest.checkpoint.format, 'safetensors');
  assert.ok(p.manifest.checkpoint.assumptions.some((a) => /0\.5 µm\/px/.test(a)), 'the assumed magnification is said');
  assert.ok(p.presets.some((x) => x.id === 'uni2-h'));
});
