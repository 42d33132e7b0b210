// `tessera models import` refuses models that load but compute nonsense (NaN, infinite or input-independent
// outputs), and paths that are not an ONNX file, with a clear message, installing nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../testing/run-cli.js';
import { GraphBuilder } from '../../encoder/onnx/graph-builder.js';
import { tempDir } from '../../encoder/testing/temp-dir.js';

const dataDir = tempDir('cli-import-checks');
process.env.TESSERA_DATA_DIR = dataDir;
process.env.TESSERA_EP = 'cpu';
const modelsDir = join(dataDir, 'models');

/** A tiny encoder: x [n, 3, 8, 8] → per-channel means [n, 3], then `tail` (which may break it). */
async function tinyModel(name: string, tail: (g: GraphBuilder, features: string) => string): Promise<string> {
  const g = new GraphBuilder(name);
  const features = g.op1('Flatten', [g.op1('GlobalAveragePool', ['x'])], { axis: 1 });
  g.output(tail(g, features), 'y');
  const bytes = g.toBytes({
    inputs: [{ name: 'x', shape: ['n', 3, 8, 8] }],
    outputs: [{ name: 'y', shape: ['n', 3] }],
    opset: 17,
    producerName: 'test',
    producerVersion: '0',
    docString: '',
  });
  const file = join(dataDir, `${name}.onnx`);
  await writeFile(file, bytes);
  return file;
}

const installed = async () => (existsSync(modelsDir) ? await readdir(modelsDir) : []);

test('a model that really depends on its input imports (the control for the broken ones below)', async () => {
  const file = await tinyModel('tiny-ok', (_g, f) => f);
  const r = await runCli(['models', 'import', file]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await installed(), ['tiny-ok']);
});

test('a model whose outputs are NaN, infinite, or the same for every input is refused and nothing is installed', async () => {
  const cases: [string, (g: GraphBuilder, f: string) => string, RegExp][] = [
    // 0 / 0 = NaN added to every feature.
    ['tiny-nan', (g, f) => g.op1('Add', [f, g.op1('Div', [g.scalar(0), g.scalar(0)])]), /NaN or infinite/],
    // Log of a negative constant = NaN in one feature only.
    ['tiny-log-neg', (g, f) => g.op1('Mul', [f, g.op1('Log', [g.constant({ dims: [3], data: [1, -1, 1] })])]), /NaN or infinite/],
    // 1 / 0 = +∞.
    ['tiny-inf', (g, f) => g.op1('Add', [f, g.op1('Div', [g.scalar(1), g.scalar(0)])]), /NaN or infinite/],
    // Multiplied by 0, plus a bias: the same embedding whatever the patch.
    ['tiny-constant', (g, f) => g.op1('Add', [g.op1('Mul', [f, g.scalar(0)]), g.constant({ dims: [3], data: [1, 2, 3] })]), /ignores its input/],
    // Input-dependent only below float32 rounding of the bias: constant in practice.
    ['tiny-near-constant', (g, f) => g.op1('Add', [g.op1('Mul', [f, g.scalar(1e-9)]), g.constant({ dims: [3], data: [1, 2, 3] })]), /ignores its input/],
  ];
  for (const [name, tail, message] of cases) {
    const file = await tinyModel(name, tail);
    const r = await runCli(['models', 'import', file]);
    assert.equal(r.code, 1, `${name}: ${r.stdout}`);
    assert.match(r.stderr, message, name);
    assert.match(r.stderr, new RegExp(`model ${name}`), name);
    assert.ok(!(await installed()).includes(name), `${name} was installed`);
  }
});

test('a folder named .onnx or an empty .onnx file is refused with a plain message (no onnxruntime internals)', async () => {
  const folder = join(dataDir, 'folder.onnx');
  await mkdir(folder);
  const f = await runCli(['models', 'import', folder]);
  assert.equal(f.code, 1);
  assert.match(f.stderr, /is a folder: give the \.onnx file, or the folder of a timm checkpoint \(config\.json \+ model\.safetensors\)/);
  assert.doesNotMatch(f.stderr, /CreateModelPackageContext|model package/i);

  const empty = join(dataDir, 'empty.onnx');
  await writeFile(empty, '');
  const e = await runCli(['models', 'import', empty]);
  assert.equal(e.code, 1);
  assert.match(e.stderr, /empty\.onnx is empty \(0 bytes\)/);
  assert.doesNotMatch(e.stderr, /onnxruntime\/|\.cc:|\.cpp:|\.h:/);
  // A protobuf that is a ModelProto with no graph: onnxruntime's message names its C++ source; not shown.
  const graphless = join(dataDir, 'graphless.onnx');
  await writeFile(graphless, Uint8Array.from([0x08, 0x08]));
  const g = await runCli(['models', 'import', graphless]);
  assert.equal(g.code, 1);
  assert.match(g.stderr, /graphless\.onnx is not a model onnxruntime can load: ModelProto does not have a graph/);
  assert.doesNotMatch(g.stderr, /onnxruntime_src|\.cc:\d+|onnxruntime::/);
  assert.ok(!(await installed()).some((d) => d === 'folder' || d === 'empty' || d === 'graphless'));
});
