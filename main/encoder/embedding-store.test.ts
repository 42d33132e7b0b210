import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddingStore, storeDir } from './embedding-store.js';
import { EmbeddingService } from './embedding-service.js';
import { tempDir } from './testing/temp-dir.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';

const key = { slideFingerprint: 'f'.repeat(64), modelId: 'm', modelSha256: 'a'.repeat(64), mpp: 0.5, patchSize: 224, level0Size: 224, dim: 3 };

test('appended batches survive reopening; a torn tail past the index is ignored; a changed model starts over', async () => {
  const root = tempDir('store');
  const s = await EmbeddingStore.open(root, key);
  await s.append(Int32Array.from([0, 0, 224, 0]), Float32Array.from([1, 2, 3, 4, 5, 6]));
  await s.append(Int32Array.from([224, 0, 448, 0]), Float32Array.from([9, 9, 9, 7, 8, 9])); // first is a duplicate
  await s.close();
  // Simulate a crash during a later write: garbage after the committed records.
  await appendFile(join(storeDir(root, key), 'chunk-00000.bin'), Buffer.alloc(13, 0xab));
  const r = await EmbeddingStore.open(root, key);
  assert.equal(r.size, 3);
  assert.deepEqual(Array.from(r.get(224, 0)!), [4, 5, 6]);
  assert.deepEqual(Array.from(r.get(448, 0)!), [7, 8, 9]);
  const g = r.gather([448, 0, 10, 10, 0, 0]);
  assert.deepEqual(Array.from(g.coords), [448, 0, 0, 0]);
  assert.deepEqual(Array.from(g.features), [7, 8, 9, 1, 2, 3]);
  // The next append overwrites the torn tail.
  await r.append(Int32Array.from([672, 0]), Float32Array.from([0, 1, 0]));
  await r.close();
  const again = await EmbeddingStore.open(root, key);
  assert.equal(again.size, 4);
  assert.deepEqual(Array.from(again.get(672, 0)!), [0, 1, 0]);
  await again.close();
  const index = JSON.parse(await readFile(join(storeDir(root, key), 'index.json'), 'utf8'));
  assert.equal(index.chunks[0].count, 4);
  const other = await EmbeddingStore.open(root, { ...key, modelSha256: 'b'.repeat(64) });
  assert.equal(other.size, 0);
  await other.close();
  await writeFile(join(storeDir(root, key), 'index.json'), 'garbage');
  assert.equal((await EmbeddingStore.open(root, key)).size, 0);
});

test('SIGKILL mid-run loses at most the batch in flight; reopening recomputes nothing already stored', { skip: skipWithoutShared }, async () => {
  const dir = tempDir('crash');
  const models = join(dir, 'models');
  const cache = join(dir, 'cache');
  const slide = shared('data', 'slides', 'CMU-1-Small-Region.svs');
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./testing/embed-child.ts', import.meta.url)), slide, models, cache, '4'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let lastDone = 0;
  let cachedAtStart = -1;
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n').slice(0, -1)) {
        const m = line.match(/^done (\d+) cached (\d+) total (\d+)/);
        if (m) {
          lastDone = Number(m[1]);
          if (cachedAtStart < 0) cachedAtStart = Number(m[2]);
          total = Number(m[3]);
          if (lastDone >= 20) child.kill('SIGKILL');
        }
      }
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
    });
    child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child ended without being killed (${signal})`))));
  });
  assert.equal(cachedAtStart, 0);
  assert.ok(lastDone >= 20 && lastDone < total, `killed at ${lastDone}/${total}`);

  const service = new EmbeddingService({ folders: { user: models, builtIn: models }, cacheDir: cache, session: { threads: 1, providers: ['cpu'] } });
  try {
    const progress: { done: number; cached: number }[] = [];
    const [set] = await service.embed(slide, { mpps: [0.5], onProgress: (p) => progress.push(p) });
    // Everything reported stored before the kill is there (the batch in flight at most is lost), and only the rest is computed.
    assert.ok(progress[0].cached >= lastDone, `cached ${progress[0].cached} < reported ${lastDone}`);
    assert.ok(progress[0].cached <= lastDone + 4 * 2);
    assert.equal(set.coords.length / 2, total);
    assert.ok(set.features.every(Number.isFinite));
    const progress2: { cached: number; total: number }[] = [];
    await service.embed(slide, { mpps: [0.5], onProgress: (p) => progress2.push(p) });
    assert.equal(progress2.length, 1);
    assert.equal(progress2[0].cached, total);
  } finally {
    await service.close();
  }
});
