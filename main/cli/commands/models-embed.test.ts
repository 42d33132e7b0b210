// `tessera models`, `tessera models import` and `tessera embed`, called through main() as a script would,
// outputs read back (HDF5 with h5wasm, .npy by its header).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import h5wasm from 'h5wasm/node';
import { runCli } from '../testing/run-cli.js';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';
import { tempDir } from '../../encoder/testing/temp-dir.js';

const CMU = shared('data', 'slides', 'CMU-1-Small-Region.svs');
const dataDir = tempDir('cli');
process.env.TESSERA_DATA_DIR = dataDir;
process.env.TESSERA_EP = 'cpu';

test('tessera models lists the baseline; import adds a model; a broken import fails with a message', { skip: skipWithoutShared }, async () => {
  const listed = await runCli(['models', '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  const json = JSON.parse(listed.stdout);
  assert.equal(json.models[0].id, 'tessera-stain-texture-v1');
  assert.equal(json.models[0].baseline, true);
  const manifest = join(dataDir, 'vit.json');
  await import('node:fs/promises').then((fs) => fs.writeFile(manifest, JSON.stringify({ id: 'vit-random', magnifications: [0.5, 1, 2], licence: 'test' })));
  const imported = await runCli(['models', 'import', shared('models', 'vits16-random.onnx'), '--manifest', manifest]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /vit-random: .*\n.*224×224 RGB in, 384 out/);
  assert.match((await runCli(['models'])).stdout, /vit-random/);
  const bad = await runCli(['models', 'import', manifest]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /not a model onnxruntime can load/);
});

test('tessera embed writes CLAM/TRIDENT HDF5 per magnification and .npy + coords CSV; a rerun comes from the cache', { skip: skipWithoutShared }, async () => {
  const out = join(dataDir, 'cmu.h5');
  const r = await runCli(['embed', CMU, '--mpp', '0.5,1', '--region', '0,600,2220,1200', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /model tessera-stain-texture-v1 on cpu/);
  // The slide is named for whole-cache search from now on (the cache itself records no paths).
  const sources = JSON.parse(await readFile(join(dataDir, 'search-index', 'slide-sources.json'), 'utf8')) as Record<string, { path: string; name: string }>;
  assert.deepEqual(Object.values(sources).map((s) => [s.name, s.path]), [['CMU-1-Small-Region.svs', resolve(CMU)]]);
  await h5wasm.ready;
  for (const [mpp, size0] of [[0.5, 224], [1, 449]]) {
    const f = new h5wasm.File(resolve(join(dataDir, `cmu.mpp-${mpp}.h5`)), 'r');
    try {
      const features = f.get('features') as InstanceType<typeof h5wasm.Dataset>;
      const coords = f.get('coords') as InstanceType<typeof h5wasm.Dataset>;
      const [n, d] = features.shape!;
      assert.equal(d, 82);
      assert.deepEqual(coords.shape, [n, 2]);
      assert.ok(n > 5);
      assert.equal(features.dtype, '<f');
      const c = coords.value as Int32Array;
      assert.ok(c.every((v, i) => v >= 0 && v % 1 === 0 && (i % 2 === 1 ? v < 2967 : v < 2220)));
      assert.equal(f.attrs['patch_size'].value, 224);
      assert.equal(coords.attrs['patch_size_level0'].value, size0);
      assert.equal(f.attrs['mpp'].value, mpp);
      assert.equal(f.attrs['model_id'].value, 'tessera-stain-texture-v1');
      assert.ok((features.value as Float32Array).every(Number.isFinite));
    } finally {
      f.close();
    }
  }
  const npy = join(dataDir, 'cmu.npy');
  const again = await runCli(['embed', CMU, '--mpp', '0.5', '--region', '0,600,2220,1200', '--out', npy]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /(\d+)\/\1 patches \(\1 cached\)/);
  const bytes = await readFile(npy);
  assert.equal(bytes.subarray(1, 6).toString('latin1'), 'NUMPY');
  const headerLen = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLen).toString('latin1');
  const [, n, d] = header.match(/'shape': \((\d+), (\d+)\)/)!.map(Number);
  assert.equal(d, 82);
  assert.equal((10 + headerLen) % 64, 0);
  assert.equal(bytes.length, 10 + headerLen + n * d * 4);
  const csv = (await readFile(join(dataDir, 'cmu.coords.csv'), 'utf8')).trim().split('\n');
  assert.match(csv[0], /^# patch_size=224 .*model_id=tessera-stain-texture-v1/);
  assert.equal(csv[1], 'x,y');
  assert.equal(csv.length - 2, n);
});
