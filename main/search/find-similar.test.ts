// "Find more like this" on real tissue: two mosaic slides of LC25000 lung patches (one cell per near-duplicate
// group, groups split between the slides, so no result is a rotated copy of its query). A query on an
// adenocarcinoma cell must find mostly adenocarcinoma: precision@20 of the built-in encoder against a colour
// mean/std nearest-neighbour baseline on the same cells; then the same across slides, and through the CLI.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { EmbeddingService } from '../encoder/embedding-service.js';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { colourStats, loadRgb } from '../encoder/testing/pcam.js';
import { listLc25000Lung } from '../probe/testing/lc25000-lung.js';
import { skipWithoutShared } from '../testing/shared-data.js';
import { runCli } from '../cli/testing/run-cli.js';
import { topKCosine } from './cosine-search.js';
import { findSimilar } from './find-similar.js';
import { CELL, MOSAIC_MPP, writeMosaic, type Mosaic } from './testing/lc25000-mosaic.js';

const dataDir = tempDir('search');
process.env.TESSERA_DATA_DIR = dataDir;
process.env.TESSERA_EP = 'cpu';
const K = 20;
const ACA = 0;

interface Cells {
  /** Per searched patch: its class and its colour features. */
  labels: Int32Array;
  coords: Int32Array;
  features: Float32Array;
  colour: Float32Array;
}

/** Mean over queries of the fraction of the top K (by `rank`) that are adenocarcinoma. */
function precisionAtK(queries: number[], rank: (q: number) => ArrayLike<number>, labels: Int32Array): number {
  let sum = 0;
  for (const q of queries) {
    const hits = rank(q);
    let good = 0;
    for (let i = 0; i < hits.length; i++) if (labels[hits[i]] === ACA) good++;
    sum += good / K;
  }
  return sum / queries.length;
}

/** Nearest neighbours by Euclidean distance of z-scored colour mean/std (6 numbers): the baseline. */
function colourNeighbours(query: Float32Array, colour: Float32Array, exclude: number): number[] {
  const n = colour.length / 6;
  const d = Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < 6; j++) s += (colour[i * 6 + j] - query[j]) ** 2;
    return s;
  });
  return Array.from(d.keys()).filter((i) => i !== exclude).sort((a, b) => d[a] - d[b]).slice(0, K);
}

function zScore(x: Float32Array, dim: number): Float32Array {
  const n = x.length / dim;
  const out = new Float32Array(x.length);
  for (let j = 0; j < dim; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * dim + j];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * dim + j] - m) ** 2;
    const sd = Math.sqrt(v / n) || 1;
    for (let i = 0; i < n; i++) out[i * dim + j] = (x[i * dim + j] - m) / sd;
  }
  return out;
}

test('find similar on LC25000 lung mosaics: precision@20 for adenocarcinoma queries vs a colour baseline, across slides, and the CLI', { skip: skipWithoutShared, timeout: 120_000 }, async () => {
  const t0 = performance.now();
  const lung = await listLc25000Lung();
  // One image per near-duplicate group; groups alternate between slide A and slide B.
  const first = new Map<number, number>();
  lung.groups.forEach((g, i) => first.has(g) || first.set(g, i));
  const picks = [...first.values()];
  const split = [picks.filter((_, k) => k % 2 === 0), picks.filter((_, k) => k % 2 === 1)];
  const mosaics: Mosaic[] = await Promise.all(split.map((idx, s) => writeMosaic(join(dataDir, `mosaic-${'ab'[s]}.tif`), idx.map((i) => lung.paths[i]), 15)));
  const labelOfCell = split.map((idx) => idx.map((i) => lung.labels[i]));
  const pathOfCell = split.map((idx) => idx.map((i) => lung.paths[i]));
  console.log(`mosaics: ${split[0].length} + ${split[1].length} cells (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  const service = new EmbeddingService({ batchSize: 32 });
  const cells: Cells[] = [];
  try {
    // Query: the first adenocarcinoma cell of A, as a point in it; the whole of both slides embedded.
    const q0 = labelOfCell[0].indexOf(ACA);
    const qx = (q0 % 15) * CELL + 100;
    const qy = Math.floor(q0 / 15) * CELL + 50;
    const cross = await findSimilar(service, { slide: mosaics[0].path, query: { x: qx, y: qy }, slides: [mosaics[1].path], mpp: MOSAIC_MPP, top: K, embedMissing: true });
    console.log(`embedded ${cross.searched.join(' + ')} patches (${((performance.now() - t0) / 1000).toFixed(1)} s), search ${cross.searchMs.toFixed(1)} ms`);
    assert.equal(cross.query.patches, 1);
    assert.equal(cross.results.length, K);
    assert.equal(cross.results[0].size, CELL);
    for (let i = 1; i < K; i++) assert.ok(cross.results[i - 1].score >= cross.results[i].score, 'sorted best first');
    assert.ok(!cross.results.some((r) => r.slide === 0 && r.x === (q0 % 15) * CELL && r.y === Math.floor(q0 / 15) * CELL), 'the query patch is not a result');
    assert.ok(cross.results.some((r) => r.slide === 1) && cross.results.some((r) => r.slide === 0), 'results on both slides');
    assert.ok(cross.searched[0] > 0.7 * split[0].length && cross.searched[1] > 0.7 * split[1].length, `most cells are tissue: ${cross.searched}`);

    for (let s = 0; s < 2; s++) {
      const [set] = await service.cached(mosaics[s].path, { mpps: [MOSAIC_MPP] });
      const n = set.coords.length / 2;
      const cellOf = (i: number) => Math.round(set.coords[2 * i + 1] / CELL) * 15 + Math.round(set.coords[2 * i] / CELL);
      const labels = Int32Array.from({ length: n }, (_, i) => labelOfCell[s][cellOf(i)]);
      const colour = new Float32Array(n * 6);
      for (let i = 0; i < n; i++) colour.set(colourStats(await loadRgb(pathOfCell[s][cellOf(i)])), i * 6);
      cells.push({ labels, coords: set.coords, features: set.features, colour });
    }
    // findSimilar's cross-slide answer is the exact top 20 over both slides' matrices.
    const dim = cross.query.patches && cells[0].features.length / (cells[0].coords.length / 2);
    const qi = Array.from({ length: cells[0].coords.length / 2 }, (_, i) => i).find((i) => cells[0].coords[2 * i] === (q0 % 15) * CELL && cells[0].coords[2 * i + 1] === Math.floor(q0 / 15) * CELL)!;
    const both = new Float32Array([...cells[0].features, ...cells[1].features]);
    const exclude = new Uint8Array(both.length / dim);
    exclude[qi] = 1;
    const direct = topKCosine({ query: cells[0].features.slice(qi * dim, (qi + 1) * dim), matrix: both, dim, k: K, exclude, standardise: true });
    assert.deepEqual(
      cross.results.map((r) => r.score.toFixed(5)),
      Array.from(direct.scores, (v) => v.toFixed(5)),
    );
  } finally {
    await service.close();
  }

  // Precision@20 over every adenocarcinoma query: within slide A, and from A into B.
  const a = cells[0];
  const b = cells[1];
  const dim = a.features.length / (a.coords.length / 2);
  const queries = Array.from(a.labels.keys()).filter((i) => a.labels[i] === ACA);
  const row = (c: Cells, i: number) => c.features.subarray(i * dim, (i + 1) * dim);
  // As findSimilar searches: features standardised over the scope (slide A; slides A and B), cosine, top 20.
  const within = (q: number, standardise = true) => {
    const exclude = new Uint8Array(a.labels.length);
    exclude[q] = 1;
    return topKCosine({ query: row(a, q), matrix: a.features, dim, k: K, exclude, standardise }).rows;
  };
  const na = a.labels.length;
  const ab = new Float32Array([...a.features, ...b.features]);
  const onlyB = new Uint8Array(ab.length / dim).fill(1, 0, na);
  const across = (q: number, standardise = true) => Array.from(topKCosine({ query: row(a, q), matrix: ab, dim, k: K, exclude: onlyB, standardise }).rows, (r) => r - na);
  // Baseline: colour statistics z-scored over the cells of both slides together.
  const z = zScore(new Float32Array([...a.colour, ...b.colour]), 6);
  const za = z.subarray(0, a.colour.length);
  const zb = z.subarray(a.colour.length);
  const colourWithin = (q: number) => colourNeighbours(za.subarray(q * 6, q * 6 + 6), za, q);
  const colourAcross = (q: number) => colourNeighbours(za.subarray(q * 6, q * 6 + 6), zb, -1);
  const prior = queries.length / a.labels.length;
  const encW = precisionAtK(queries, within, a.labels);
  const colW = precisionAtK(queries, colourWithin, a.labels);
  const encX = precisionAtK(queries, across, b.labels);
  const colX = precisionAtK(queries, colourAcross, b.labels);
  const rawW = precisionAtK(queries, (q) => within(q, false), a.labels);
  const rawX = precisionAtK(queries, (q) => across(q, false), b.labels);
  console.log(`precision@${K}, ${queries.length} adenocarcinoma queries (chance ${prior.toFixed(3)}): within slide encoder ${encW.toFixed(3)} / colour ${colW.toFixed(3)}; across slides encoder ${encX.toFixed(3)} / colour ${colX.toFixed(3)}`);
  console.log(`(plain cosine of the raw embeddings, --raw-cosine: within ${rawW.toFixed(3)}, across ${rawX.toFixed(3)})`);
  assert.ok(encW > 0.6 && encX > 0.6, 'mostly adenocarcinoma (chance ≈ 0.4)');
  assert.ok(encW >= colW - 0.05, `within: encoder ${encW} vs colour ${colW}`);
  assert.ok(encX >= colX - 0.05, `across: encoder ${encX} vs colour ${colX}`);

  // The CLI: the same query, as JSON, CSV and GeoJSON, from the cache this time.
  const q0 = a.labels.indexOf(ACA);
  const query = `${a.coords[2 * q0] + 10},${a.coords[2 * q0 + 1] + 10}`;
  const json = join(dataDir, 'r.json');
  const r = await runCli(['search', mosaics[0].path, '--query', query, '--slides', mosaics[1].path, '--mpp', '0.5', '--top', '5', '--out', json]);
  assert.equal(r.code, 0, r.stderr);
  const parsed = JSON.parse(await readFile(json, 'utf8')) as { query: { slide: string; x: number }; results: { slide: string; x: number; y: number; size: number; mpp: number; score: number }[] };
  assert.equal(parsed.query.slide, 'mosaic-a.tif');
  assert.equal(parsed.results.length, 5);
  assert.deepEqual(Object.keys(parsed.results[0]), ['slide', 'x', 'y', 'size', 'mpp', 'score']);
  const csv = join(dataDir, 'r.csv');
  assert.equal((await runCli(['search', mosaics[0].path, '--query', `${query},300,300`, '--top', '3', '--out', csv])).code, 0);
  const lines = (await readFile(csv, 'utf8')).trim().split('\n');
  assert.equal(lines[0], 'slide,x,y,size,mpp,score');
  assert.equal(lines.length, 4);
  const geo = join(dataDir, 'r.geojson');
  assert.equal((await runCli(['search', mosaics[0].path, '--query', query, '--top', '3', '--out', geo])).code, 0);
  const fc = JSON.parse(await readFile(geo, 'utf8')) as { features: { geometry: { type: string; coordinates: number[][][] }; properties: { score?: number } }[] };
  assert.equal(fc.features.length, 4);
  assert.equal(fc.features[1].geometry.type, 'Polygon');
  assert.equal(fc.features[1].geometry.coordinates[0].length, 5);
  assert.equal(typeof fc.features[1].properties.score, 'number');
  const bad = await runCli(['search', mosaics[0].path, '--query', '1,2,3']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /x,y or x,y,w,h/);
  console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});
