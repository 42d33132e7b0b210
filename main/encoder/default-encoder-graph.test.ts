import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { buildDefaultEncoder } from './default-encoder-graph.js';
import { defaultEncoderModel } from './default-encoder-model.js';

test('the default encoder is deterministic and its manifest describes it', () => {
  const a = buildDefaultEncoder();
  const b = buildDefaultEncoder();
  assert.deepEqual(Buffer.from(a.bytes), Buffer.from(b.bytes));
  const { manifest } = defaultEncoderModel();
  assert.equal(manifest.output.dim, a.layout.dim);
  assert.equal(a.layout.groups.reduce((s, g) => s + g.count, 0), a.layout.dim);
  assert.equal(manifest.baseline, true);
  assert.match(manifest.name, /baseline/);
});

test('the default encoder separates glass from stained tissue and gives finite features', async () => {
  const { bytes, layout } = buildDefaultEncoder();
  const s = await ort.InferenceSession.create(bytes);
  const plane = 224 * 224;
  const x = new Float32Array(2 * 3 * plane);
  // Patch 0: white glass. Patch 1: pink stroma with purple nuclei-like dots.
  x.fill(0.95, 0, 3 * plane);
  for (let p = 0; p < plane; p++) {
    const dot = (p % 224) % 16 < 6 && Math.floor(p / 224) % 16 < 6;
    const [r, g, bl] = dot ? [0.35, 0.2, 0.55] : [0.9, 0.55, 0.75];
    x[3 * plane + p] = r;
    x[4 * plane + p] = g;
    x[5 * plane + p] = bl;
  }
  const out = await s.run({ pixels: new ort.Tensor('float32', x, [2, 3, 224, 224]) });
  const f = out.embedding.data as Float32Array;
  assert.deepEqual(out.embedding.dims, [2, layout.dim]);
  assert.ok(f.every(Number.isFinite));
  // Mean haematoxylin (group hed-grey-mean, first channel) is higher on the stained patch.
  let offset = 0;
  for (const g of layout.groups) {
    if (g.name === 'hed-grey-mean') break;
    offset += g.count;
  }
  assert.ok(f[layout.dim + offset] > f[offset] + 0.1, `H mean: glass ${f[offset]}, tissue ${f[layout.dim + offset]}`);
});
