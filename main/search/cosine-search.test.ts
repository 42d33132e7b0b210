// Exact cosine top-k against a brute-force sort; standardised cosine against materialising the z-scores;
// the worker gives the same answer; exports carry the contract's columns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../common/seeded-random.js';
import { cosineScores, featureStats, meanRow, topKCosine } from './cosine-search.js';
import { searchInWorker } from './search-in-worker.js';
import { searchCsv, searchGeoJson, searchFormatOf, type NamedSearchResult } from './search-export.js';

function random(n: number, dim: number, seed = 1): Float32Array {
  const rand = seededRandom(seed);
  return Float32Array.from({ length: n * dim }, () => rand() * 2 - 1 + 0.5);
}

test('topKCosine equals a full sort of the cosine scores, skips excluded rows, handles k > n and zero rows', () => {
  const dim = 17;
  const m = random(500, dim);
  m.fill(0, 3 * dim, 4 * dim); // a zero row scores 0
  const q = m.slice(7 * dim, 8 * dim);
  const scores = cosineScores(q, m, dim);
  assert.ok(Math.abs(scores[7] - 1) < 1e-6);
  assert.equal(scores[3], 0);
  const exclude = new Uint8Array(500);
  exclude[7] = 1;
  const hits = topKCosine({ query: q, matrix: m, dim, k: 25, exclude });
  const expected = Array.from(scores.keys()).filter((i) => i !== 7).sort((a, b) => scores[b] - scores[a] || a - b).slice(0, 25);
  assert.deepEqual(Array.from(hits.rows), expected);
  assert.deepEqual(Array.from(hits.scores), expected.map((i) => scores[i]));
  assert.equal(topKCosine({ query: q, matrix: m.subarray(0, 4 * dim), dim, k: 10 }).rows.length, 4);
  assert.equal(topKCosine({ query: q, matrix: m, dim, k: 0 }).rows.length, 0);
  assert.throws(() => cosineScores(q.subarray(1), m, dim), RangeError);
});

test('standardised cosine equals the cosine of z-scored rows; meanRow averages', () => {
  const dim = 9;
  const n = 300;
  const m = random(n, dim, 5);
  for (let i = 0; i < n; i++) m[i * dim] = 100 + m[i * dim]; // a large shared offset
  const { mean, invSd } = featureStats(m, dim);
  const z = m.map((v, k) => (v - mean[k % dim]) * invSd[k % dim]);
  const q = meanRow(m, dim, [1, 2, 3]);
  for (let j = 0; j < dim; j++) assert.ok(Math.abs(q[j] - (m[dim + j] + m[2 * dim + j] + m[3 * dim + j]) / 3) < 1e-4);
  const zq = q.map((v, j) => (v - mean[j]) * invSd[j]);
  const a = topKCosine({ query: q, matrix: m, dim, k: 10, standardise: true });
  const b = topKCosine({ query: zq, matrix: z, dim, k: 10 });
  assert.deepEqual(Array.from(a.rows), Array.from(b.rows));
  a.scores.forEach((s, i) => assert.ok(Math.abs(s - b.scores[i]) < 1e-4));
});

test('searchInWorker gives the same hits as the search on this thread, with a shared or transferred matrix', async () => {
  const dim = 32;
  const m = random(2000, dim, 3);
  const shared = new Float32Array(new SharedArrayBuffer(m.byteLength));
  shared.set(m);
  const q = m.slice(0, dim);
  const here = topKCosine({ query: q, matrix: m, dim, k: 8, standardise: true });
  const there = await searchInWorker({ query: q, matrix: shared, dim, k: 8, standardise: true });
  assert.deepEqual(Array.from(there.rows), Array.from(here.rows));
  assert.ok(there.searchMs >= 0);
  const moved = await searchInWorker({ query: q, matrix: m.slice(), dim, k: 8, standardise: true }, { transfer: true });
  assert.deepEqual(Array.from(moved.rows), Array.from(here.rows));
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(searchInWorker({ query: q, matrix: m, dim, k: 8 }, { signal: ac.signal }));
});

test('exports: CSV columns slide,x,y,size,mpp,score; GeoJSON squares with the score; formats by extension', () => {
  const r: NamedSearchResult = {
    query: { slide: 'a.svs', x: 10, y: 20, width: 0, height: 0, mpp: 0.5, model: 'm', patches: 1 },
    results: [
      { slide: 'a,b.svs', x: 224, y: 0, size: 224, mpp: 0.5, score: 0.9 },
      { slide: 'a.svs', x: 448, y: 224, size: 224, mpp: 0.5, score: 0.5 },
    ],
  };
  assert.equal(searchCsv(r), 'slide,x,y,size,mpp,score\n"a,b.svs",224,0,224,0.5,0.9\na.svs,448,224,224,0.5,0.5\n');
  const fc = searchGeoJson(r);
  assert.equal(fc.features.length, 3);
  const f = fc.features[1];
  assert.deepEqual(f.geometry, { type: 'Polygon', coordinates: [[[224, 0], [448, 0], [448, 224], [224, 224], [224, 0]]] });
  assert.equal(f.properties!.score, 0.9);
  assert.equal(f.properties!.objectType, 'annotation');
  assert.equal(searchFormatOf('/x/R.GeoJSON'), 'geojson');
  assert.throws(() => searchFormatOf('/x/r.png'), /\.json, \.csv or \.geojson/);
});
