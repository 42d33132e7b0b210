// `--mpp-override` and the pixel size stored per slide, on the shared TCGA slide (which states no MPP):
// the patch grid (its level-0 patch size) follows the override, then the stored value, then the 0.5 µm/px
// assumption; `tessera info` shows the stored value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import h5wasm from 'h5wasm/node';
import { runCli } from '../testing/run-cli.js';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';
import { tempDir } from '../../encoder/testing/temp-dir.js';
import { slideFingerprint } from '../../slide/slide-fingerprint.js';
import { saveUserMpp } from '../../slide/slide-pixel-size.js';

const TCGA = shared('data', 'slides', 'TCGA-CR-7395-01A-01-TS1.svs');
const dataDir = tempDir('cli-mpp');
process.env.TESSERA_DATA_DIR = dataDir;
process.env.TESSERA_EP = 'cpu';

async function gridOf(out: string): Promise<{ n: number; size0: number; level0Mpp: number; assumed: number }> {
  await h5wasm.ready;
  const f = new h5wasm.File(resolve(out), 'r');
  try {
    const coords = f.get('coords') as InstanceType<typeof h5wasm.Dataset>;
    return {
      n: coords.shape![0],
      size0: Number(coords.attrs['patch_size_level0'].value),
      level0Mpp: Number(f.attrs['level0_mpp'].value),
      assumed: Number(f.attrs['level0_mpp_assumed'].value),
    };
  } finally {
    f.close();
  }
}

test('--mpp-override sets the level-0 patch size on a slide without MPP; a stored pixel size is used next, and shown by info', { skip: skipWithoutShared }, async () => {
  const embed = async (name: string, ...extra: string[]) => {
    const out = join(dataDir, `${name}.h5`);
    const r = await runCli(['embed', TCGA, '--mpp', '2', '--out', out, ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return { r, grid: await gridOf(out) };
  };

  const assumed = await embed('assumed');
  assert.match(assumed.r.stderr, /does not state its scale; assumed level 0 = 0\.5 µm\/px/);
  assert.deepEqual([assumed.grid.size0, assumed.grid.level0Mpp, assumed.grid.assumed], [896, 0.5, 1]);
  assert.ok(assumed.grid.n > 0);

  const overridden = await embed('override', '--mpp-override', '0.25');
  assert.doesNotMatch(overridden.r.stderr, /assumed level 0/);
  assert.deepEqual([overridden.grid.size0, overridden.grid.level0Mpp, overridden.grid.assumed], [1792, 0.25, 0]);
  assert.ok(overridden.grid.n < assumed.grid.n, `fewer, larger patches: ${overridden.grid.n} vs ${assumed.grid.n}`);

  const bad = await runCli(['embed', TCGA, '--mpp', '2', '--mpp-override', '0', '--out', join(dataDir, 'bad.h5')]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--mpp-override: pixel size 0 µm\/px is outside/);

  // A pixel size the user set in the app (stored per slide content) is used by the CLI, unless overridden.
  await saveUserMpp(await slideFingerprint(TCGA), 0.4, dataDir);
  const info = await runCli(['info', TCGA]);
  assert.match(info.stdout, /pixel size set by the user: 0\.4 µm\/px/);
  assert.equal(JSON.parse((await runCli(['info', TCGA, '--json'])).stdout).userMpp, 0.4);
  const stored = await embed('stored');
  assert.match(stored.r.stderr, /level 0 = 0\.4 µm\/px, as set for this slide in the app/);
  assert.deepEqual([stored.grid.size0, stored.grid.level0Mpp, stored.grid.assumed], [1120, 0.4, 0]);
  const again = await embed('override-again', '--mpp-override', '0.25');
  assert.equal(again.grid.size0, 1792);
});
