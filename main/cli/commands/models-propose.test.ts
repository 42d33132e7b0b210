// `tessera models propose`: the manifest proposed from the graph, edited, then imported with --manifest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../testing/run-cli.js';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';
import { tempDir } from '../../encoder/testing/temp-dir.js';

const dataDir = tempDir('cli-propose');
process.env.TESSERA_DATA_DIR = dataDir;
process.env.TESSERA_EP = 'cpu';

test('models propose prints the manifest; the edited file imports', { skip: skipWithoutShared }, async () => {
  const vit = shared('models', 'vits16-random.onnx');
  const printed = await runCli(['models', 'propose', vit]);
  assert.equal(printed.code, 0, printed.stderr);
  const m = JSON.parse(printed.stdout);
  assert.deepEqual([m.id, m.input.name, m.input.size, m.output.name, m.output.dim], ['vits16-random', 'pixels', 224, 'embedding', 384]);
  const file = join(dataDir, 'vit.json');
  const written = await runCli(['models', 'propose', vit, '--out', file]);
  assert.equal(written.code, 0, written.stderr);
  assert.match(written.stderr, /tessera models import .* --manifest /);
  assert.equal((await runCli(['models', 'propose', vit, '--out', file])).code, 1, 'never overwrites');
  await writeFile(file, JSON.stringify({ ...JSON.parse(await readFile(file, 'utf8')), name: 'Edited ViT', licence: 'test' }));
  const imported = await runCli(['models', 'import', vit, '--manifest', file]);
  assert.equal(imported.code, 0, imported.stderr);
  assert.match(imported.stdout, /vits16-random: Edited ViT/);
});
