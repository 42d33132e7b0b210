// Heatmap refresh cost with 200,000 patches embedded: `node --import tsx bench/heatmap-refresh.bench.ts`.
// Prints, never asserts. Synthetic features in real embedding stores (three magnifications, as the app's
// probes read; 128 features each, a 384-feature row like ViT-S) and a 3-class probe. Compares, in one process:
//   full     what each refresh cost before: every stored feature copied (the cache read), assembled,
//            standardised and predicted, a whole-slide raster built and sent as base64 JSON;
//   predict  the floor: standardise + predict the one new batch (rows already assembled);
//   refresh  the live path: score the batch from the stores, update the raster, encode the binary delta.
// Wall and CPU ms (median of runs); ratios against `predict`, so a loaded machine shifts all alike.
import { loadavg } from 'node:os';
import type { EmbeddingSet, PatchGrid } from '../main/contracts/embeddings.js';
import { seededRandom } from '../main/common/seeded-random.js';
import { gridStep } from '../main/common/grid-step.js';
import { EmbeddingStore } from '../main/encoder/embedding-store.js';
import { tempDir } from '../main/encoder/testing/temp-dir.js';
import { BatchScorer } from '../main/heatmap/batch-scorer.js';
import { LiveRaster } from '../main/heatmap/live-raster.js';
import { encodeLiveUpdate } from '../main/heatmap/live-update.js';
import { applyProbe } from '../main/probe/apply-probe.js';
import { predictProbabilities } from '../main/probe/logistic-regression.js';
import { probeModel, type ProbeFile } from '../main/probe/probe-file.js';
import { applyStandardisation } from '../main/probe/standardise.js';
import { heatmapRaster } from '../main/services/analysis-heatmap.js';

const FINEST = 200_000;
const DIM = 128;
const MPPS = [0.5, 1, 2];
const SLIDE_MPP = 0.25;
const BATCH = 128;
const RUNS = 7;
const random = seededRandom(11);

const grid = (mpp: number): PatchGrid => {
  const level0Size = (224 * mpp) / SLIDE_MPP;
  return { mpp, patchSize: 224, level0Size, level0Stride: level0Size / 2 };
};
// A square slide whose finest overlapping grid holds ~FINEST patches (plus one batch's row to come).
const side = Math.ceil(Math.sqrt(FINEST + BATCH)) * gridStep(grid(0.5));
const slide = { id: 'bench', width: side, height: side };

function origins(g: PatchGrid): Int32Array {
  const t = gridStep(g);
  const out: number[] = [];
  for (let j = 0; j * t < side; j++) for (let i = 0; i * t < side; i++) out.push(Math.round(i * t), Math.round(j * t));
  return Int32Array.from(out);
}

function features(n: number): Float32Array {
  const f = new Float32Array(n * DIM);
  for (let i = 0; i < f.length; i++) f[i] = random() * 2 - 1;
  return f;
}

function probe(): ProbeFile {
  const dim = DIM * MPPS.length;
  const vec = (f: () => number) => Array.from({ length: dim }, f);
  return {
    encoder: { modelId: 'bench', checksum: null },
    magnifications: MPPS,
    dim,
    classes: ['Tumour', 'Stroma', 'Normal'].map((name) => ({ name, colour: [0, 0, 0] })),
    standardisation: { mean: vec(() => 0), std: vec(() => 1) },
    weights: [0, 1, 2].map(() => vec(() => (random() - 0.5) / 8)),
    bias: [0, 0, 0],
  } as unknown as ProbeFile;
}

function measure(fn: () => void, setup: () => void = () => {}): { wall: number; cpu: number } {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    setup();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { wall: median(walls), cpu: median(cpus) };
}

async function main(): Promise<void> {
  const root = tempDir('heatmap-refresh-bench');
  const p = probe();
  const stores: EmbeddingStore[] = [];
  const coordsByMpp: Int32Array[] = [];
  for (const mpp of MPPS) {
    const g = grid(mpp);
    const store = await EmbeddingStore.open(root, { slideFingerprint: 'bench', modelId: 'bench', modelSha256: 'x', mpp, patchSize: 224, level0Size: g.level0Size, dim: DIM });
    const all = origins(g);
    // All but the last batch of the finest grid now; that batch comes "from the encoder" below.
    const held = mpp === MPPS[0] ? all.subarray(0, all.length - 2 * BATCH) : all;
    for (let k = 0; k < held.length; k += 2 * 20_000) {
      const part = held.subarray(k, Math.min(held.length, k + 2 * 20_000));
      await store.append(part, features(part.length / 2));
    }
    stores.push(store);
    coordsByMpp.push(all);
  }
  const finestCount = stores[0].size;
  const sets = (): EmbeddingSet[] =>
    stores.map((s, m) => {
      const { coords, features } = s.all();
      return { slideFingerprint: 'bench', modelId: 'bench', grid: grid(MPPS[m]), dim: DIM, coords, features };
    });
  const provenance = { probeId: 'p', name: 'bench', trainedOn: [], trainedOnThisSlide: true };

  // The old refresh: cache copy → assemble → standardise + predict all → raster → base64 JSON.
  const full = measure(() => {
    const probabilities = applyProbe(p, sets());
    JSON.stringify(heatmapRaster(probabilities, 'Tumour', slide, { probe: provenance }));
  });

  // The live raster, built once as the app does (the full path), then fed the new batch.
  const built = applyProbe(p, sets());
  const t = gridStep(grid(0.5));
  const offset = (grid(0.5).level0Size - t) / 2;
  const live = new LiveRaster({ cols: Math.ceil((side - offset) / t), rows: Math.ceil((side - offset) / t), cellSize: t, cellOffset: offset, patchSize: grid(0.5).level0Size, mpp: 0.5 }, built.classNames);
  live.set(built.coords, built.probabilities);
  live.rebase();
  const scorer = new BatchScorer(p, stores.map((s, m) => ({ mpp: MPPS[m], grid: grid(MPPS[m]), dim: DIM, get: (x: number, y: number) => s.get(x, y) })));
  const meta = { slideId: 'bench', probeId: 'p', probe: provenance, assumptions: [], tissue: null };

  const batch = coordsByMpp[0].subarray(coordsByMpp[0].length - 2 * BATCH);
  await stores[0].append(batch, features(BATCH));
  let deltaBytes = 0;
  let scoredInBatch = 0;
  let since = 0;
  const refresh = measure(
    () => {
      const scored = scorer.score(0.5, batch);
      live.set(scored.coords, scored.probabilities);
      scoredInBatch = scored.coords.length / 2;
      deltaBytes = encodeLiveUpdate(live, meta, since).length;
    },
    () => {
      // Untimed: the batch's cells back to unscored, so each run changes them as a new batch does.
      live.set(batch, new Float32Array((batch.length / 2) * 3).fill(NaN));
      since = live.version;
    },
  );

  // The floor: standardise + predict the batch's rows, already assembled.
  const { model, standardisation } = probeModel(p);
  const rows = features(BATCH * 3).subarray(0, BATCH * DIM * 3);
  const predict = measure(() => predictProbabilities(model, applyStandardisation(standardisation, rows, BATCH, DIM * 3), BATCH));

  const snapshotBytes = encodeLiveUpdate(live, meta, null).length;
  const oldBytes = JSON.stringify(heatmapRaster(applyProbe(p, sets()), 'Tumour', slide, { probe: provenance })).length;
  const row = (name: string, m: { wall: number; cpu: number }) =>
    `${name.padEnd(44)} ${m.wall.toFixed(2).padStart(9)} ms wall ${m.cpu.toFixed(2).padStart(9)} ms CPU   ×${(m.cpu / predict.cpu).toFixed(1)} of predict (CPU)`;
  console.log(`load average ${loadavg().map((v) => v.toFixed(2)).join(' ')} (2 cores, shared); medians of ${RUNS}`);
  console.log(`${finestCount.toLocaleString('en')} finest patches embedded (+ ${stores[1].size.toLocaleString('en')} at 1 µm/px, ${stores[2].size.toLocaleString('en')} at 2 µm/px), ${DIM}×3 features, 3 classes; batch of ${BATCH}`);
  console.log(row('full recompute (old getHeatmap, one class)', full));
  console.log(row(`predict one batch (${BATCH} rows)`, predict));
  console.log(row(`refresh after one batch (${scoredInBatch} scored)`, refresh));
  console.log(`refresh vs full: ${(full.cpu / refresh.cpu).toFixed(0)}× less CPU`);
  console.log(`bytes to the renderer: delta ${deltaBytes.toLocaleString('en')} (all classes, binary) · snapshot ${snapshotBytes.toLocaleString('en')} · old JSON ${oldBytes.toLocaleString('en')} (one class, base64)`);
  for (const s of stores) await s.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
