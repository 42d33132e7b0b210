// Combinations of timm ViT building blocks beyond the three shared reference checkpoints: the importer's ONNX
// output is compared with a plain reference forward (testing/vit-reference-forward.ts), which is itself first
// checked against real timm's outputs. Also: what an import refuses, and that a refused import changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, open, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { importCheckpoint, inspectCheckpoint } from './checkpoint-import.js';
import { openSafetensors } from './safetensors-file.js';
import { CheckpointError } from './checkpoint-tensors.js';
import { randomVitTensors, writeRandomVitSnapshot, type RandomVitShape } from './testing/random-vit-checkpoint.js';
import { writeSafetensors } from './testing/write-safetensors.js';
import { referenceForward, type Rule, type Weights } from './testing/vit-reference-forward.js';
import { seededRandom } from '../../common/seeded-random.js';
import { tempDir } from '../testing/temp-dir.js';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';

async function loadWeights(path: string): Promise<Weights> {
  const f = await openSafetensors(path);
  try {
    const w: Weights = new Map();
    for (const t of f.tensors) w.set(t.name, await f.readFloat32(t.name));
    return w;
  } finally {
    await f.close();
  }
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

test('the reference forward reproduces real timm on the shared checkpoints (so it can judge other combinations)', { skip: skipWithoutShared }, async () => {
  const cases: [string, RandomVitShape][] = [
    ['timm-vit-s16', { embedDim: 96, depth: 2, numHeads: 3, patchSize: 16 }],
    ['timm-vit-l16-layerscale', { embedDim: 96, depth: 2, numHeads: 4, patchSize: 16, layerScale: true }],
    ['timm-vit-h14-swiglu-reg8', { embedDim: 96, depth: 2, numHeads: 4, patchSize: 14, regTokens: 8, noEmbedClass: true, layerScale: true, mlp: 'glu-packed' }],
  ];
  for (const [name, shape] of cases) {
    const dir = shared('models', 'checkpoints', name);
    const w = await loadWeights(join(dir, 'model.safetensors'));
    const b = await readFile(join(dir, 'input.f32'));
    const input = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + 3 * 224 * 224 * 4));
    const e = await readFile(join(dir, 'embedding.f32'));
    const expected = new Float32Array(e.buffer.slice(e.byteOffset, e.byteOffset + 96 * 4));
    const { embedding } = referenceForward(w, shape, input, 'token');
    assert.ok(maxDiff(embedding, expected) <= 1e-4, `${name}: reference forward vs timm`);
  }
});

interface Combination {
  name: string;
  shape: RandomVitShape;
  rule: Rule;
  globalPool?: string;
  dtype?: 'float32' | 'float16' | 'bfloat16';
  weights?: 'float32' | 'float16';
  act?: 'gelu' | 'gelu_tanh' | 'quick_gelu';
  overrides?: Record<string, unknown>;
}

const combinations: Combination[] = [
  {
    name: 'no class token, QK-norm, norm_pre, avg pooling with fc_norm (patch 8, 64 px)',
    shape: { embedDim: 32, depth: 2, numHeads: 4, patchSize: 8, imageSize: 64, classToken: false, qkNorm: true, normPre: true, finalNorm: 'fc_norm' },
    rule: 'mean',
    globalPool: 'avg',
  },
  {
    name: 'Virchow2-like: 4 registers inside the position embedding, packed SwiGLU, token+mean (registers excluded), bf16 weights',
    shape: { embedDim: 48, depth: 2, numHeads: 3, patchSize: 16, imageSize: 64, regTokens: 4, layerScale: true, mlp: 'glu-packed', mlpRatio: 5.33334 },
    rule: 'token+mean',
    dtype: 'bfloat16',
    overrides: { embedding: 'token+mean' },
  },
  {
    name: 'split SwiGLU (fc1_g/fc1_x), a classifier head to ignore, fp16 checkpoint stored as fp16 ONNX weights',
    shape: { embedDim: 32, depth: 3, numHeads: 2, patchSize: 16, imageSize: 64, mlp: 'swiglu', mlpRatio: 2, head: 5 },
    rule: 'token',
    dtype: 'float16',
    weights: 'float16',
  },
  {
    name: 'tanh GELU named in config.json, patch 32, mean of patch tokens with the final norm',
    shape: { embedDim: 32, depth: 2, numHeads: 8, patchSize: 32, imageSize: 96 },
    rule: 'mean',
    act: 'gelu_tanh',
    overrides: { embedding: 'mean' },
  },
];

for (const c of combinations) {
  test(`combination: ${c.name}`, async () => {
    const root = tempDir('vit-combination');
    const snap = join(root, 'snapshot');
    await mkdir(snap, { recursive: true });
    await writeRandomVitSnapshot(snap, { ...c.shape, seed: 11 }, {
      dtype: c.dtype,
      globalPool: c.globalPool,
      ...(c.act ? { config: { model_args: { embed_dim: c.shape.embedDim, depth: c.shape.depth, num_heads: c.shape.numHeads, act_layer: c.act } } } : {}),
    });
    const entry = await importCheckpoint(snap, { modelsDir: join(root, 'models'), weights: c.weights, overrides: { id: 'combo', ...c.overrides } as never });
    assert.equal(entry.manifest.checkpoint?.embeddingRule, c.rule);
    assert.equal(entry.manifest.checkpoint?.weights, c.weights ?? 'float32');
    const S = c.shape.imageSize ?? 224;
    const random = seededRandom(3);
    const x = Float32Array.from({ length: 2 * 3 * S * S }, () => random() * 2 - 1);
    const session = await ort.InferenceSession.create(entry.onnxPath);
    const out = (await session.run({ pixels: new ort.Tensor('float32', x, [2, 3, S, S]) })).embedding.data as Float32Array;
    await session.release();
    const w = await loadWeights(join(snap, 'model.safetensors'));
    const dim = entry.manifest.output.dim;
    for (let i = 0; i < 2; i++) {
      const { embedding } = referenceForward(w, c.shape, x.subarray(i * 3 * S * S, (i + 1) * 3 * S * S), c.rule, c.act ?? 'gelu');
      assert.equal(embedding.length, dim);
      const d = maxDiff(out.subarray(i * dim, (i + 1) * dim), embedding);
      assert.ok(d <= 1e-4, `patch ${i}: max |Δ| = ${d}`);
    }
  });
}

/** A small valid snapshot to damage. */
async function smallSnapshot(dir: string): Promise<RandomVitShape> {
  const shape: RandomVitShape = { embedDim: 16, depth: 2, numHeads: 2, patchSize: 16, imageSize: 32 };
  await mkdir(dir, { recursive: true });
  await writeRandomVitSnapshot(dir, shape);
  return shape;
}

const refused = async (p: Promise<unknown>, pattern: RegExp) => {
  await assert.rejects(p, (err: Error) => {
    assert.match(err.message, pattern);
    return true;
  });
};

test('refused: NaN weights, a truncated file, shapes that contradict config.json, unknown tensors, undecidable heads', async () => {
  const root = tempDir('vit-refused');
  const models = join(root, 'models');
  const shape = await smallSnapshot(join(root, 'ok'));

  const nan = join(root, 'nan');
  await mkdir(nan, { recursive: true });
  const tensors = randomVitTensors(shape).map((t) => (t.name === 'blocks.1.mlp.fc2.weight' ? { ...t, values: () => t.values().fill(NaN, 3, 4) } : t));
  await writeSafetensors(join(nan, 'model.safetensors'), tensors);
  await writeFile(join(nan, 'config.json'), await readFile(join(root, 'ok', 'config.json')));
  await refused(importCheckpoint(nan, { modelsDir: models }), /NaN or infinite/);

  const cut = join(root, 'cut');
  await mkdir(cut, { recursive: true });
  await writeFile(join(cut, 'model.safetensors'), await readFile(join(root, 'ok', 'model.safetensors')));
  await truncate(join(cut, 'model.safetensors'), (await stat(join(cut, 'model.safetensors'))).size - 100);
  await refused(importCheckpoint(cut, { modelsDir: models, config: join(root, 'ok', 'config.json') }), /truncated/);

  const wrong = join(root, 'wrong-config');
  await mkdir(wrong, { recursive: true });
  await writeFile(join(wrong, 'model.safetensors'), await readFile(join(root, 'ok', 'model.safetensors')));
  await writeFile(join(wrong, 'config.json'), JSON.stringify({ architecture: 'vit_small_patch16_224', model_args: { embed_dim: 384, depth: 12 } }));
  await refused(importCheckpoint(wrong, { modelsDir: models }), /embed_dim 384, the weights are 16 wide/);

  const extra = join(root, 'extra');
  await mkdir(extra, { recursive: true });
  await writeSafetensors(join(extra, 'model.safetensors'), [...randomVitTensors(shape), { name: 'blocks.0.attn.rel_pos.weight', shape: [4], values: () => new Float32Array(4) }]);
  await writeFile(join(extra, 'config.json'), await readFile(join(root, 'ok', 'config.json')));
  await refused(importCheckpoint(extra, { modelsDir: models }), /blocks\.0\.attn\.rel_pos\.weight.*refusing to guess/);

  // A lone weights file with no config.json anywhere near: the heads cannot be read off shapes.
  const lone = join(root, 'lone');
  await mkdir(lone, { recursive: true });
  await writeFile(join(lone, 'weights.safetensors'), await readFile(join(root, 'ok', 'model.safetensors')));
  await refused(inspectCheckpoint(join(lone, 'weights.safetensors')), /number of attention heads: set model_args\.num_heads/);
  const preview = await inspectCheckpoint(join(lone, 'weights.safetensors'), { overrides: { num_heads: 2, input: { size: 32 } } });
  assert.match(preview.manifest.checkpoint.architecture, /ViT 2×16, 2 heads/);
  assert.ok(preview.manifest.checkpoint.assumptions.some((a) => /no config\.json/.test(a)));

  // Nothing of the refused imports is left in the models folder.
  assert.deepEqual(await readdir(models).catch(() => []), []);
});

test('a failed re-import keeps the previous model in place, byte for byte', async () => {
  const root = tempDir('vit-keep');
  const models = join(root, 'models');
  const shape = await smallSnapshot(join(root, 'ok'));
  const first = await importCheckpoint(join(root, 'ok'), { modelsDir: models, overrides: { id: 'kept' } });
  const before = await readFile(first.onnxPath);
  const bad = join(root, 'bad');
  await mkdir(bad, { recursive: true });
  await writeSafetensors(join(bad, 'model.safetensors'), randomVitTensors(shape).map((t) => (t.name === 'norm.weight' ? { ...t, values: () => new Float32Array(16).fill(Infinity) } : t)));
  await writeFile(join(bad, 'config.json'), await readFile(join(root, 'ok', 'config.json')));
  await assert.rejects(importCheckpoint(bad, { modelsDir: models, overrides: { id: 'kept' }, replace: true }), CheckpointError);
  await assert.rejects(importCheckpoint(join(root, 'ok'), { modelsDir: models, overrides: { id: 'kept' } }), /already imported/);
  assert.deepEqual(await readFile(first.onnxPath), before);
  assert.deepEqual((await readdir(models)).sort(), ['kept']);
  const h = await open(first.onnxPath, 'r');
  await h.close();
});
