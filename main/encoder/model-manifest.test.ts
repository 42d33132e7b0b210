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

test('manifest messages name the field; fields this Tessera does not know are kept', () => {
  const good = defaultEncoderModel().manifest;
  const message = (change: (m: any) => void): string => {
    const m = structuredClone(good) as any;
    change(m);
    try {
      validateManifest(m, 'models/x/manifest.json');
    } catch (err) {
      assert.ok(err instanceof ModelError && err.code === 'manifest-invalid');
      return err.message;
    }
    return 'accepted';
  };
  assert.equal(message((m) => (m.input.size = 12000)), 'models/x/manifest.json: `input.size` must be an integer from 8 to 4096');
  assert.equal(message((m) => (m.input.mean[1] = '0.5')), 'models/x/manifest.json: `input.mean` must be 3 numbers');
  assert.equal(message((m) => delete m.output), 'models/x/manifest.json: `output` is missing');
  assert.equal(message((m) => (m.externalData = { file: 'w.data', sha256: 'ABC' })), 'models/x/manifest.json: `externalData.sha256` must be 64 lowercase hex digits');
  assert.equal(
    (() => {
      try {
        validateManifest('text', 'm.json');
      } catch (err) {
        return (err as Error).message;
      }
    })(),
    'm.json: is not a JSON object',
  );
  const newer = { ...structuredClone(good), futureField: { a: 1 } };
  assert.deepEqual((validateManifest(newer, 'm') as unknown as typeof newer).futureField, { a: 1 });
});
