import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateManifest } from './model-manifest.js';
import { defaultEncoderModel } from './default-encoder-model.js';
import { ModelError } from './model-errors.js';

test('a complete manifest validates; each missing or wrong field is a manifest-invalid ModelError', () => {
  const good = defaultEncoderModel().manifest;
  assert.equal(validateManifest(structuredClone(good), 'm').id, good.id);
  const broken: [string, (m: any) => void][] = [
    ['id', (m) => (m.id = '../x')],
    ['sha256', (m) => (m.sha256 = 'abc')],
    ['input.size', (m) => (m.input.size = '224')],
    ['input.channelOrder', (m) => (m.input.channelOrder = 'RGBA')],
    ['input.std', (m) => (m.input.std = [1, 0, 1])],
    ['output.dim', (m) => delete m.output.dim],
    ['magnifications', (m) => (m.magnifications = [])],
    ['licence', (m) => delete m.licence],
    ['file', (m) => (m.file = '../model.onnx')],
    // Sizes and scales that would exhaust memory on the first slide (a 1e-6 µm/px grid, 12,000-px patches).
    ['magnifications', (m) => (m.magnifications = [1e-6])],
    ['magnifications', (m) => (m.magnifications = [0.5, 1000])],
    ['input.size', (m) => (m.input.size = 12000)],
    ['externalData', (m) => (m.externalData = { file: '../x.data', sha256: 'a'.repeat(64) })],
  ];
  for (const [field, breakIt] of broken) {
    const m = structuredClone(good);
    breakIt(m);
    assert.throws(
      () => validateManifest(m, 'where.json'),
      (err: unknown) => err instanceof ModelError && err.code === 'manifest-invalid' && err.message.includes(field.split('.')[0]),
      field,
    );
  }
});
