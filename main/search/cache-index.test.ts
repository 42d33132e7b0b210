// The whole-cache ANN index over real embedding stores (written by EmbeddingStore, as the encoder writes them):
// its scores equal the exact standardised search's, it catches up on appended records without rebuilding,
// and a truncated or corrupt index file, a corrupt manifest or a store started over make it rebuild (never
// crash, never answer wrongly).
import assert from 'node:assert/strict';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { seededRandom } from '../common/seeded-random.js';
import { EmbeddingStore, type EmbeddingStoreKey } from '../encoder/embedding-store.js';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { CacheIndex } from './cache-index.js';
import { topKCosine } from './cosine-search.js';

const dim = 32;
const key = { modelId: 'm', modelSha256: 'abc', mpp: 0.5, dim };
const storeKey = (fp: string): EmbeddingStoreKey => ({ slideFingerprint: fp, ...key, patchSize: 224, level0Size: 448 });
const rand = seededRandom(7);
/** Clustered vectors with a large shared offset (what standardisation removes). */
const centres = Array.from({ length: 12 }, () => Float32Array.from({ length: dim }, () => rand() * 2 - 1));
function vectors(n: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(rand() * centres.length)];
    for (let j = 0; j < dim; j++) out[i * dim + j] = 5 + c[j] + 0.4 * (rand() - 0.5);
  }
  return out;
}
/** Patch origins of the non-overlapping grid (multiples of 448 px) along a row of 40, from patch `start`. */
const coordsOf = (n: number, start: number, offset = 0) => Int32Array.from({ length: 2 * n }, (_, k) => (k & 1 ? Math.floor((start + (k >> 1)) / 40) : (start + (k >> 1)) % 40) * 448 + offset);

/** n patches of the grid per store, and as many of the half-overlapping grid (offset 224 px), which the index skips. */
async function fill(root: string, fps: string[], n: number, start = 0): Promise<Map<string, { coords: Int32Array; features: Float32Array }>> {
  const out = new Map<string, { coords: Int32Array; features: Float32Array }>();
  for (const fp of fps) {
    const s = await EmbeddingStore.open(root, storeKey(fp));
    await s.append(coordsOf(n, start), vectors(n));
    await s.append(coordsOf(n, start, 224), vectors(n));
    out.set(fp, s.gather(coordsOf(s.size, 0)));
    await s.close();
  }
  return out;
}

/** The exact answer over every store: the same standardised cosine, top k. */
function exact(all: Map<string, { coords: Int32Array; features: Float32Array }>, query: Float32Array, k: number) {
  const fps = [...all.keys()].sort();
  const matrix = new Float32Array(fps.reduce((a, f) => a + all.get(f)!.features.length, 0));
  const who: { fp: string; x: number; y: number }[] = [];
  let at = 0;
  for (const fp of fps) {
    const s = all.get(fp)!;
    matrix.set(s.features, at);
    at += s.features.length;
    for (let i = 0; i < s.coords.length / 2; i++) who.push({ fp, x: s.coords[2 * i], y: s.coords[2 * i + 1] });
  }
  const hits = topKCosine({ query, matrix, dim, k, standardise: true });
  return Array.from(hits.rows, (r, i) => ({ ...who[r], score: hits.scores[i] }));
}

test('cache index: exact scores, catch-up on new records, rebuild on a corrupt file or a store started over', async () => {
  const data = tempDir('cache-index');
  const cacheDir = join(data, 'embeddings');
  const indexDir = join(data, 'search-index');
  const fps = ['aaaaaaaaaaaa01', 'bbbbbbbbbbbb02', 'cccccccccccc03'];
  const all = await fill(cacheDir, fps, 400);
  const idx = new CacheIndex({ cacheDir, indexDir, key, threads: 1 });
  const first = await idx.update();
  assert.equal(first.size, 1200);
  assert.equal(first.stores, 3);
  assert.equal(first.rebuilt, 'there was none');

  const query = all.get(fps[1])!.features.slice(5 * dim, 6 * dim);
  const check = async (index: CacheIndex, truth: Map<string, { coords: Int32Array; features: Float32Array }>) => {
    const want = exact(truth, query, 10);
    const got = await index.search(query, 10);
    assert.equal(got.length, 10);
    // Every hit's score is the exact path's score of that patch; and the top 10 are (nearly) the exact top 10.
    const wantScore = new Map(exact(truth, query, 4000).map((h) => [`${h.fp}/${h.x},${h.y}`, h.score]));
    for (const h of got) assert.ok(Math.abs(h.score - wantScore.get(`${h.slideFingerprint}/${h.x},${h.y}`)!) < 1e-5, 'score as the exact search');
    const wanted = new Set(want.map((h) => `${h.fp}/${h.x},${h.y}`));
    const recall = got.filter((h) => wanted.has(`${h.slideFingerprint}/${h.x},${h.y}`)).length / 10;
    assert.ok(recall >= 0.9, `recall@10 ${recall}`);
    assert.equal(got[0].slideFingerprint, fps[1]);
    assert.equal(got[0].size, 448);
  };
  await check(idx, all);

  // Exclusion of the query's own patch.
  const own = (fp: string, x: number, y: number) => fp === fps[1] && x === all.get(fps[1])!.coords[10] && y === all.get(fps[1])!.coords[11];
  const noOwn = await idx.search(query, 5, own, 1);
  assert.equal(noOwn.length, 5);
  assert.ok(!noOwn.some((h) => own(h.slideFingerprint, h.x, h.y)));

  // New records and a new slide land: the next update adds just those, from a fresh process's view of the files.
  const more = await fill(cacheDir, [fps[0]], 100, 400);
  const added = await fill(cacheDir, ['dddddddddddd04'], 150);
  all.set(fps[0], more.get(fps[0])!);
  all.set('dddddddddddd04', added.get('dddddddddddd04')!);
  const again = new CacheIndex({ cacheDir, indexDir, key, threads: 1 });
  const caught = await again.update();
  assert.deepEqual(caught, { added: 250, size: 1450, stores: 4 });
  await check(again, all);
  assert.deepEqual(await again.update(), { added: 0, size: 1450, stores: 4 }, 'nothing new: nothing done');

  // A truncated index file: rebuilt, still right.
  const file = join(again.dir, 'vectors.usearch');
  await truncate(file, 1000);
  const t = new CacheIndex({ cacheDir, indexDir, key, threads: 1 });
  assert.match((await t.update()).rebuilt ?? '', /is 1000 bytes/);
  await check(t, all);
  // Same size, flipped bytes: the checksum catches it before usearch reads it.
  const bytes = await readFile(file);
  bytes[bytes.length >> 1] ^= 0xff;
  await writeFile(file, bytes);
  const c = new CacheIndex({ cacheDir, indexDir, key, threads: 1 });
  assert.equal((await c.update()).rebuilt, 'its index file fails its checksum');
  await check(c, all);
  // A manifest that is not JSON.
  await writeFile(join(c.dir, 'manifest.json'), '{"version":');
  const j = new CacheIndex({ cacheDir, indexDir, key, threads: 1 });
  assert.equal((await j.update()).rebuilt, 'its manifest is not JSON');
  assert.equal(j.size, 1450);

  // A store started over (its chunk now holds other records): the index notices and rebuilds.
  await writeFile(join(cacheDir, fps[2], 'm', 'mpp-0.5', 'index.json'), 'garbage');
  const redone = await fill(cacheDir, [fps[2]], 60);
  all.set(fps[2], redone.get(fps[2])!);
  const r = await j.update();
  assert.match(r.rebuilt ?? '', /was rebuilt|changed/);
  assert.equal(r.size, 1450 - 400 + 60);
  await check(j, all);
});
