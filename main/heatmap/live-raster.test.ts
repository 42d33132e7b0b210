// The incremental heatmap raster equals the full recompute (applyProbe over everything embedded so far) after
// every batch, whichever magnification a batch is at and in whatever order patches arrive; its change log
// says exactly which cells changed since a version.
import assert from 'node:assert/strict';
import test from 'node:test';
import type { EmbeddingSet, PatchGrid } from '../contracts/embeddings.js';
import { applyProbe } from '../probe/apply-probe.js';
import type { ProbeFile } from '../probe/probe-file.js';
import { seededRandom } from '../common/seeded-random.js';
import { BatchScorer, type FeatureLookup } from './batch-scorer.js';
import { LiveRaster } from './live-raster.js';
import { encodeLiveUpdate } from './live-update.js';
import { decodeHeatmapUpdate } from '../common/heatmap-update-codec.js';

const SLIDE = { width: 9000, height: 7000 };
const SLIDE_MPP = 0.25;
const MPPS = [0.5, 1, 2];
const DIM = 6;

function grid(mpp: number): PatchGrid {
  const level0Size = (224 * mpp) / SLIDE_MPP;
  return { mpp, patchSize: 224, level0Size, level0Stride: level0Size / 2 };
}

/** A map-backed embedding store of one magnification (the real store's get(x, y) and all()). */
class Store implements FeatureLookup {
  readonly rows = new Map<string, Float32Array>();
  constructor(
    readonly mpp: number,
    readonly grid: PatchGrid,
    readonly dim: number,
  ) {}
  get(x: number, y: number) {
    return this.rows.get(`${x},${y}`);
  }
  set(): EmbeddingSet {
    const keys = [...this.rows.keys()];
    const coords = Int32Array.from(keys.flatMap((k) => k.split(',').map(Number)));
    const features = new Float32Array(keys.length * this.dim);
    keys.forEach((k, i) => features.set(this.rows.get(k)!, i * this.dim));
    return { slideFingerprint: 'fp', modelId: 'm', grid: this.grid, dim: this.dim, coords, features };
  }
}

function probeFor(random: () => number, classes: string[]): ProbeFile {
  const dim = DIM * MPPS.length;
  const vec = (f: () => number) => Array.from({ length: dim }, f);
  return {
    format: 'tessera-probe',
    version: 1,
    encoder: { modelId: 'm', checksum: null },
    magnifications: MPPS,
    dim,
    classes: classes.map((name, i) => ({ name, colour: [i * 80, 0, 0] })),
    standardisation: { mean: vec(() => random() - 0.5), std: vec(() => 0.5 + random()) },
    weights: classes.map(() => vec(() => 2 * (random() - 0.5))),
    bias: classes.map(() => random() - 0.5),
    l2: 1,
    metrics: { crossValidation: null, perClassCount: classes.map(() => 1) },
    training: { slides: [], patchCount: 0, createdAt: '', warnings: [] },
  } as unknown as ProbeFile;
}

/** Every patch origin of a grid over the slide, shuffled. */
function allPatches(g: PatchGrid, random: () => number): [number, number][] {
  const t = g.level0Stride!;
  const out: [number, number][] = [];
  for (let j = 0; j * t < SLIDE.height; j++) for (let i = 0; i * t < SLIDE.width; i++) if (random() < 0.8) out.push([Math.round(i * t), Math.round(j * t)]);
  for (let i = out.length - 1; i > 0; i--) {
    const k = Math.floor(random() * (i + 1));
    [out[i], out[k]] = [out[k], out[i]];
  }
  return out;
}

function fullRaster(probe: ProbeFile, stores: Store[], live: LiveRaster): Float32Array {
  const out = new Float32Array(live.probabilities.length).fill(NaN);
  if (stores[0].rows.size === 0) return out;
  const p = applyProbe(probe, stores.map((s) => s.set()));
  for (let i = 0; i < p.n; i++) {
    const cell = live.cellOf(p.coords[2 * i], p.coords[2 * i + 1]);
    for (let k = 0; k < live.k; k++) out[cell * live.k + k] = p.probabilities[i * live.k + k];
  }
  return out;
}

test('batch by batch, at every magnification in any order, the raster equals the full recompute', () => {
  const random = seededRandom(7);
  const classes = ['Tumour', 'Stroma', 'Normal'];
  const probe = probeFor(random, classes);
  const stores = MPPS.map((m) => new Store(m, grid(m), DIM));
  const g0 = grid(MPPS[0]);
  const t = g0.level0Stride!;
  const live = new LiveRaster(
    { cols: Math.ceil((SLIDE.width - (g0.level0Size - t) / 2) / t), rows: Math.ceil((SLIDE.height - (g0.level0Size - t) / 2) / t), cellSize: t, cellOffset: (g0.level0Size - t) / 2, patchSize: g0.level0Size, mpp: 0.5 },
    classes,
  );
  const scorer = new BatchScorer(probe, stores);
  // Batches of ~40 patches, magnifications interleaved (as the scheduler's queue hands them out).
  const queues = stores.map((s) => allPatches(s.grid, random));
  let batches = 0;
  let checked = 0;
  while (queues.some((q) => q.length > 0)) {
    const m = Math.floor(random() * MPPS.length);
    const batch = queues[m].splice(0, 40);
    if (batch.length === 0) continue;
    const coords = Int32Array.from(batch.flat());
    for (const [x, y] of batch) stores[m].rows.set(`${x},${y}`, Float32Array.from({ length: DIM }, () => random() * 4 - 2));
    const v = live.version;
    const scored = scorer.score(MPPS[m], coords);
    const changed = live.set(scored.coords, scored.probabilities);
    assert.equal(live.changedSince(v)!.length, changed);
    if (++batches % 4 === 0 || queues.every((q) => q.length === 0)) {
      const want = fullRaster(probe, stores, live);
      for (let i = 0; i < want.length; i++) {
        if (Number.isNaN(want[i])) assert.ok(Number.isNaN(live.probabilities[i]), `cell ${i}: scored, but not in the full recompute`);
        else assert.ok(Math.abs(want[i] - live.probabilities[i]) < 1e-6, `cell ${i}: ${live.probabilities[i]} ≠ ${want[i]}`);
      }
      checked++;
    }
  }
  assert.ok(checked >= 5, `${checked} comparisons`);
  assert.ok(live.scored > 500, `${live.scored} cells scored`);
  assert.equal(live.scoredCells().length, live.scored);
});

test('the change log: cells changed since a version, each once; a snapshot when too far behind or rebuilt', () => {
  const live = new LiveRaster({ cols: 10, rows: 10, cellSize: 100, cellOffset: 50, patchSize: 200, mpp: 0.5 }, ['a', 'b']);
  assert.deepEqual([...live.changedSince(0)!], []);
  live.set(Int32Array.from([0, 0, 100, 0]), Float32Array.from([0.2, 0.8, 0.6, 0.4]));
  live.set(Int32Array.from([100, 0, 0, 100]), Float32Array.from([0.3, 0.7, 0.5, 0.5]));
  // The same values again change nothing (a batch applied twice).
  assert.equal(live.set(Int32Array.from([0, 100]), Float32Array.from([0.5, 0.5])), 0);
  assert.equal(live.version, 2);
  assert.deepEqual([...live.changedSince(0)!], [0, 1, 10]);
  assert.deepEqual([...live.changedSince(1)!], [1, 10]);
  assert.deepEqual([...live.changedSince(2)!], []);
  assert.equal(live.changedSince(3), null, 'a version from the future');
  assert.equal(live.changedSince(0.5), null);
  live.rebase();
  assert.equal(live.changedSince(1), null, 'behind a rebuild');
  assert.deepEqual([...live.changedSince(live.version)!], []);
  assert.equal(live.scored, 3);
  // Off-grid patches are ignored.
  assert.equal(live.set(Int32Array.from([5000, 0]), Float32Array.from([1, 0])), 0);
  for (let i = 0; i < 1100; i++) live.set(Int32Array.from([0, 0]), Float32Array.from([i % 2 ? 0.1 : 0.9, i % 2 ? 0.9 : 0.1]));
  assert.equal(live.changedSince(live.version - 1100), null, 'older than the log keeps');
  assert.deepEqual([...live.changedSince(live.version - 1000)!], [0]);
});

test('a full recompute replacing the raster logs only the cells whose values differ', () => {
  const live = new LiveRaster({ cols: 10, rows: 10, cellSize: 100, cellOffset: 50, patchSize: 200, mpp: 0.5 }, ['a', 'b']);
  live.set(Int32Array.from([0, 0, 100, 0, 200, 0]), Float32Array.from([0.2, 0.8, 0.6, 0.4, 0.5, 0.5]));
  const v = live.version;
  // Cell 0 the same, cell 1 new values, cell 2 gone (its patch no longer in the cache), cell 10 new.
  assert.equal(live.replace(Int32Array.from([0, 0, 100, 0, 0, 100]), Float32Array.from([0.2, 0.8, 0.1, 0.9, 0.3, 0.7])), 3);
  assert.deepEqual([...live.changedSince(v)!], [1, 2, 10]);
  assert.equal(live.scored, 3);
  assert.ok(Number.isNaN(live.probabilities[2 * 2]));
  assert.ok(Math.abs(live.probabilities[10 * 2 + 1] - 0.7) < 1e-7);
  assert.equal(live.replace(Int32Array.from([0, 0, 100, 0, 0, 100]), Float32Array.from([0.2, 0.8, 0.1, 0.9, 0.3, 0.7])), 0, 'nothing new: no version');
  assert.equal(live.version, v + 1);
});

test('the encoded update: a sparse snapshot, a dense one once most cells are scored, a delta since a version', () => {
  const live = new LiveRaster({ cols: 4, rows: 2, cellSize: 100, cellOffset: 50, patchSize: 200, mpp: 0.5 }, ['a', 'b']);
  const meta = { slideId: 'abcdef', probeId: 'p', probe: { probeId: 'p', name: 'p', trainedOn: [], trainedOnThisSlide: true }, assumptions: [], tissue: null };
  live.set(Int32Array.from([0, 0]), Float32Array.from([0.2, 0.8]));
  const sparse = decodeHeatmapUpdate(encodeLiveUpdate(live, meta, null));
  assert.equal(sparse.header.kind, 'snapshot');
  assert.equal(sparse.header.dense, false);
  assert.deepEqual([...sparse.cells], [0]);
  assert.deepEqual([...sparse.values], [50, 200]);
  const v = live.version;
  live.set(Int32Array.from([100, 0, 200, 0, 300, 0, 0, 100, 100, 100]), Float32Array.from([1, 0, 0, 1, 0.5, 0.5, 0.4, 0.6, 0.3, 0.7]));
  const delta = decodeHeatmapUpdate(encodeLiveUpdate(live, meta, v));
  assert.equal(delta.header.kind, 'snapshot', 'five of eight cells changed: a snapshot is no bigger');
  assert.equal(delta.header.dense, true, 'six of eight scored: dense');
  assert.deepEqual([...delta.values.subarray(0, 4)], [50, 200, 250, 0]);
  assert.equal(delta.values[2 * 6], 255, 'unscored');
  const w = live.version;
  live.set(Int32Array.from([200, 100]), Float32Array.from([0.1, 0.9]));
  const small = decodeHeatmapUpdate(encodeLiveUpdate(live, meta, w));
  assert.equal(small.header.kind, 'delta');
  assert.equal(small.header.since, w);
  assert.deepEqual([...small.cells], [6]);
  assert.deepEqual([...small.values], [25, 225]);
  assert.equal(small.header.scored, 7);
});
