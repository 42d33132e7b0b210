// `tessera models import <snapshot folder>` and `tessera embed --model ID` with the converted model, called
// through main() as a script would; a pickle that would run code is refused before anything runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import h5wasm from 'h5wasm/node';
import { runCli } from '../testing/run-cli.js';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';
import { tempDir } from '../../encoder/testing/temp-dir.js';
import { buildZip } from '../../encoder/checkpoint/testing/stored-zip.js';

const dataDir = tempDir('cli-checkpoint');
process.env.TESSERA_DATA_DIR = dataDir;
process.env.TESSERA_EP = 'cpu';

test('models import reads a timm snapshot folder; models --json lists it; embed --model uses it', { skip: skipWithoutShared }, async () => {
  const snapshot = shared('models', 'checkpoints', 'timm-vit-l16-layerscale');
  const preview = await runCli(['models', 'propose', snapshot]);
  assert.equal(preview.code, 0, preview.stderr);
  const proposed = JSON.parse(preview.stdout);
  assert.equal(proposed.checkpoint.format, 'safetensors');
  assert.match(proposed.checkpoint.architecture, /LayerScale/);

  const imported = await runCli(['models', 'import', snapshot, '--weights', 'fp16']);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stderr, /ViT 2×96, 4 heads, patch 16 at 224 px, MLP gelu, LayerScale, class token/);
  assert.match(imported.stderr, /assumed: trained at 0\.5 µm\/px/);
  assert.match(imported.stdout, /timm-vit-l16-layerscale: .*\n.*224×224 RGB in, 96 out/);
  assert.match(imported.stdout, /converted from safetensors: .*; float16 weights/);

  const listed = JSON.parse((await runCli(['models', '--json'])).stdout);
  const model = listed.models.find((m: { id: string }) => m.id === 'timm-vit-l16-layerscale');
  assert.ok(model, 'listed with its id');
  assert.equal(model.checkpoint.weights, 'float16');

  const again = await runCli(['models', 'import', snapshot]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already imported/);

  const out = join(dataDir, 'cmu.h5');
  const cmu = shared('data', 'slides', 'CMU-1-Small-Region.svs');
  const embedded = await runCli(['embed', cmu, '--model', 'timm-vit-l16-layerscale', '--mpp', '0.5', '--region', '800,1000,672,448', '--out', out]);
  assert.equal(embedded.code, 0, embedded.stderr);
  await h5wasm.ready;
  const f = new h5wasm.File(resolve(out), 'r');
  try {
    const features = f.get('features') as InstanceType<typeof h5wasm.Dataset>;
    const [n, d] = features.shape!;
    assert.equal(d, 96);
    assert.ok(n >= 1);
    const v = features.value as Float32Array;
    assert.ok(v.every(Number.isFinite));
    assert.equal(f.attrs['model_id'].value, 'timm-vit-l16-layerscale');
  } finally {
    f.close();
  }
});

test('a pytorch_model.bin whose pickle would run a command is refused, and nothing runs', async () => {
  const dir = join(dataDir, 'hostile');
  await mkdir(dir, { recursive: true });
  const marker = join(dataDir, 'pwned');
  // pickle protocol 2: os.system("touch <marker>") — GLOBAL, a one-string tuple, REDUCE, STOP.
  const command = `touch ${marker}`;
  const pkl = Buffer.concat([
    Buffer.from([0x80, 0x02]),
    Buffer.from('cposix\nsystem\n', 'latin1'),
    Buffer.from([0x58]), // BINUNICODE
    Buffer.from(Uint32Array.of(command.length).buffer),
    Buffer.from(command, 'latin1'),
    Buffer.from([0x85, 0x52, 0x2e]), // TUPLE1 REDUCE STOP
  ]);
  const zip = buildZip([
    { name: 'archive/data.pkl', data: pkl },
    { name: 'archive/version', data: Buffer.from('3\n') },
  ]);
  await writeFile(join(dir, 'pytorch_model.bin'), zip);
  await writeFile(join(dir, 'config.json'), JSON.stringify({ architecture: 'vit_small_patch16_224', model_args: { num_heads: 6 } }));
  const r = await runCli(['models', 'import', dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /posix[. ]system/);
  assert.match(r.stderr, /refus|not allowed|unsafe/i);
  assert.equal(existsSync(marker), false, 'the command did not run');
  const models = await readdir(join(dataDir, 'models')).catch(() => [] as string[]);
  assert.ok(!models.some((m) => m.startsWith('.import-') || m === 'hostile'), 'nothing was installed');
});
