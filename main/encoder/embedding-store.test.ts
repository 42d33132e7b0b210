import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
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

// ---- A hostile or damaged index / chunk is a cache miss that is rebuilt, never a crash or wrong data ----

async function seeded(root: string, k = key): Promise<{ dir: string; index: { chunks: Record<string, unknown>[] } & Record<string, unknown> }> {
  const s = await EmbeddingStore.open(root, k);
  await s.append(Int32Array.from([0, 0, 224, 0]), Float32Array.from([1, 2, 3, 4, 5, 6]));
  await s.close();
  const dir = storeDir(root, k);
  return { dir, index: JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) };
}

/** Opens the store, expects a miss with one warning, then checks that re-embedding repopulates it. */
async function expectRebuilt(root: string, what: string): Promise<void> {
  const warnings: string[] = [];
  const s = await EmbeddingStore.open(root, key, { onWarning: (w) => warnings.push(w) });
  assert.equal(s.size, 0, `${what}: the store must be a miss`);
  assert.equal(warnings.length, 1, `${what}: one warning, got ${JSON.stringify(warnings)}`);
  assert.match(warnings[0], /embedding cache/i);
  await s.append(Int32Array.from([448, 0]), Float32Array.from([7, 8, 9]));
  await s.close();
  const again: string[] = [];
  const r = await EmbeddingStore.open(root, key, { onWarning: (w) => again.push(w) });
  assert.equal(r.size, 1, `${what}: repopulated`);
  assert.deepEqual(Array.from(r.get(448, 0)!), [7, 8, 9]);
  assert.deepEqual(again, [], `${what}: the rebuilt store is valid`);
  await r.close();
}

test('a chunk file name escaping the cache folder is refused; nothing is written outside it', async () => {
  for (const file of ['../../victim.bin', '../victim.bin', 'sub/chunk-00000.bin', '/tmp/victim.bin', '..', 'chunk-00000.bin\\..\\x']) {
    const root = tempDir('store-traversal');
    const { dir, index } = await seeded(root);
    const victim = join(root, 'victim.bin');
    await writeFile(victim, 'precious');
    const victimAbove = join(dir, '..', 'victim.bin');
    index.chunks = [{ ...index.chunks[0], file: file === '/tmp/victim.bin' ? victim : file }];
    await writeFile(join(dir, 'index.json'), JSON.stringify(index));
    await expectRebuilt(root, `file ${file}`);
    assert.equal(await readFile(victim, 'utf8'), 'precious', `${file}: victim untouched`);
    await assert.rejects(readFile(victimAbove), `${file}: nothing created above the store folder`);
  }
});

test('hostile counts, types and chunk lists are a miss with one warning, never a raw JS error', async () => {
  const cases: [string, (index: { chunks: unknown } & Record<string, unknown>) => void][] = [
    ['count 1e9', (i) => ((i.chunks as Record<string, unknown>[])[0].count = 1e9)],
    ['count -5', (i) => ((i.chunks as Record<string, unknown>[])[0].count = -5)],
    ['count 1.5', (i) => ((i.chunks as Record<string, unknown>[])[0].count = 1.5)],
    ['count "abc"', (i) => ((i.chunks as Record<string, unknown>[])[0].count = 'abc')],
    ['count "2"', (i) => ((i.chunks as Record<string, unknown>[])[0].count = '2')],
    ['count 3 (more than the file holds)', (i) => ((i.chunks as Record<string, unknown>[])[0].count = 3)],
    ['file 42', (i) => ((i.chunks as Record<string, unknown>[])[0].file = 42)],
    ['chunk null', (i) => ((i.chunks as unknown[])[0] = null)],
    ['chunks null', (i) => (i.chunks = null)],
    ['chunks an object', (i) => (i.chunks = { 0: { file: 'chunk-00000.bin', count: 2 } })],
    ['a million chunks', (i) => (i.chunks = Array.from({ length: 1_000_000 }, (_, k) => ({ file: `chunk-${String(k).padStart(5, '0')}.bin`, count: 1 })))],
    ['index an array', (i) => Object.setPrototypeOf(i, Array.prototype)],
  ];
  for (const [what, mutate] of cases) {
    const root = tempDir('store-hostile');
    const { dir, index } = await seeded(root);
    mutate(index);
    const text = what === 'index an array' ? '[1,2,3]' : JSON.stringify(index);
    await writeFile(join(dir, 'index.json'), text);
    const t0 = Date.now();
    await expectRebuilt(root, what);
    assert.ok(Date.now() - t0 < 5000, `${what}: quick`);
  }
  // A legitimately different store (another model) is a silent miss, not a warning.
  const root = tempDir('store-other');
  await seeded(root);
  const warnings: string[] = [];
  const other = await EmbeddingStore.open(root, { ...key, modelSha256: 'c'.repeat(64) }, { onWarning: (w) => warnings.push(w) });
  assert.equal(other.size, 0);
  assert.deepEqual(warnings, []);
  await other.close();
});

test('a flipped byte in a chunk is a miss (checksum), not features off by 1e36', async () => {
  const root = tempDir('store-flip');
  const { dir } = await seeded(root);
  const path = join(dir, 'chunk-00000.bin');
  const bytes = await readFile(path);
  bytes[8 + 3] ^= 0x7f; // the high byte of the first feature of the first record
  await writeFile(path, bytes);
  await expectRebuilt(root, 'flipped byte');
});

test('NaN or infinite features in a chunk are a miss even when the checksum matches', async () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
    const root = tempDir('store-nan');
    const { dir, index } = await seeded(root);
    const path = join(dir, 'chunk-00000.bin');
    const bytes = await readFile(path);
    bytes.writeFloatLE(bad, 8 + 4); // the second feature of the first record
    await writeFile(path, bytes);
    index.chunks[0].crc32 = crc32(bytes.subarray(0, 2 * 20));
    index.chunks[0].sha256 = undefined;
    await writeFile(join(dir, 'index.json'), JSON.stringify(index));
    await expectRebuilt(root, `feature ${bad}`);
  }
});

test('append refuses non-finite features rather than storing them', async () => {
  const s = await EmbeddingStore.open(tempDir('store-append-nan'), key);
  await assert.rejects(s.append(Int32Array.from([0, 0]), Float32Array.from([1, Number.NaN, 3])), /finite/);
  assert.equal(s.size, 0);
  await s.close();
});
