// Which providers are tried: WebGPU is not probed on headless Linux (its native probe only prints noise and
// fails there), unless asked for; elsewhere the order is CUDA → DML → CoreML → WebGPU → CPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candidateProviders, probeWebGpuByDefault } from './execution-providers.js';

const headless = { platform: 'linux' as const, hasRenderNode: false, hasRuntimeDir: false };
const desktop = { platform: 'linux' as const, hasRenderNode: true, hasRuntimeDir: true };

test('WebGPU is skipped by default on headless Linux, kept on a Linux desktop and on other platforms', () => {
  assert.equal(probeWebGpuByDefault(headless), false);
  assert.equal(probeWebGpuByDefault({ ...desktop, hasRuntimeDir: false }), false);
  assert.equal(probeWebGpuByDefault(desktop), true);
  assert.equal(probeWebGpuByDefault({ platform: 'win32', hasRenderNode: false, hasRuntimeDir: false }), true);
  const saved = process.env.TESSERA_EP;
  delete process.env.TESSERA_EP;
  try {
    assert.ok(!candidateProviders(undefined, headless).includes('webgpu'));
    assert.equal(candidateProviders(undefined, headless).at(-1), 'cpu');
    // Asked for explicitly, it is still tried (where this onnxruntime build bundles it).
    const asked = candidateProviders(['webgpu', 'cpu'], headless);
    assert.equal(asked.at(-1), 'cpu');
    assert.ok(asked.length <= 2);
  } finally {
    if (saved === undefined) delete process.env.TESSERA_EP;
    else process.env.TESSERA_EP = saved;
  }
});
