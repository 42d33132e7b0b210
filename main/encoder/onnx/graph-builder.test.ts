import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { GraphBuilder } from './graph-builder.js';

test('a built graph loads in onnxruntime and computes what it says', async () => {
  const g = new GraphBuilder('t');
  const w = g.constant({ dims: [2, 1, 1, 1], data: [2, -1] }, 'w');
  const y = g.op1('Conv', ['x', w], { kernel_shape: [1, 1], group: 1 });
  g.output(g.op1('GlobalAveragePool', [y]), 'y');
  const bytes = g.toBytes({
    inputs: [{ name: 'x', shape: ['n', 1, 2, 2] }],
    outputs: [{ name: 'y', shape: ['n', 2, 1, 1] }],
    opset: 17,
    producerName: 'test',
    producerVersion: '0',
    docString: '',
  });
  const s = await ort.InferenceSession.create(bytes);
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 2, 3, 6]), [1, 1, 2, 2]) });
  assert.deepEqual(Array.from(out.y.data as Float32Array), [6, -3]);
  assert.deepEqual(out.y.dims, [1, 2, 1, 1]);
});
