// Encoder runtime benchmark: `node --import tsx bench/encoder.bench.ts` (needs ../shared). Prints:
//  1. bare onnxruntime throughput on vits16-random.onnx (batch 16, all cores) — the ceiling;
//  2. the full pipeline on the same model and batch (read, resize, normalise, infer, store) vs (1), target ≥ 90%;
//  3. the built-in baseline end to end (patches/s), target ≥ 300;
//  4. a 1920×1080 viewport at 20× settling into embeddings at every magnification, vs the bare time for as
//     many patches, target ≤ 1.1×;
//  main event-loop delay p99 during 2–4 (target ≤ 20 ms) and peak RSS.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import ort from 'onnxruntime-node';
import { shared, hasShared } from '../main/testing/shared-data.js';
import { EmbeddingService } from '../main/encoder/embedding-service.js';
import { EmbeddingScheduler } from '../main/encoder/embedding-scheduler.js';
import { importModel } from '../main/encoder/model-import.js';

if (!hasShared) {
  console.log('encoder bench: ../shared is absent, nothing to measure');
  process.exit(0);
}
const vitPath = shared('models', 'vits16-random.onnx');
const cmu = shared('data', 'slides', 'CMU-1-Small-Region.svs');
const batch = 16;
const threads = availableParallelism();
const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const models = join(dir, 'models');
const folders = { user: models, builtIn: join(dir, 'none') };
// One monitor per measured phase (re-enabling a monitor after a blocking bare run would count that gap).
const phases: ReturnType<typeof monitorEventLoopDelay>[] = [];
const watchLoop = () => {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  phases.push(h);
  return h;
};
const fmt = (v: number, d = 1) => v.toFixed(d);
const results: Record<string, string> = {};
const t0 = performance.now();

// 1. Bare session: the same input tensor run again and again. Measured before and after the pipeline (the
// machine may be shared: the mean of both is the reference), wall clock and CPU time of the whole process.
const bare = await ort.InferenceSession.create(vitPath, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
const x = new ort.Tensor('float32', new Float32Array(batch * 3 * 224 * 224).map(() => Math.random() - 0.5), [batch, 3, 224, 224]);
await bare.run({ pixels: x });
const cpuMsSince = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};
async function measureBare(runs: number): Promise<{ rate: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t1 = performance.now();
  for (let i = 0; i < runs; i++) await bare.run({ pixels: x });
  return { rate: (runs * batch * 1000) / (performance.now() - t1), cpuMs: cpuMsSince(c0) / (runs * batch) };
}
const bare1 = await measureBare(3);
console.log(`1. bare onnxruntime vits16-random batch ${batch}: ${fmt(bare1.rate)} patches/s`);
let t: number;

// 2. Full pipeline with the same model: import it, embed a tissue region of the slide from a cold cache.
await importModel(vitPath, { id: 'vits16-random', magnifications: [0.5, 1, 2], licence: 'random weights, benchmarking only' }, { modelsDir: models });
const vitService = new EmbeddingService({ folders, cacheDir: join(dir, 'cache-vit'), batchSize: batch, session: { providers: ['cpu'], threads } });
await vitService.useModel('vits16-random');
const ctx = await vitService.slide(cmu);
await ctx.tissue; // the mask is computed once per slide; not part of steady-state throughput
let loop = watchLoop();
t = performance.now();
let c0 = process.cpuUsage();
const [pipe] = await vitService.embed(cmu, { mpps: [0.5], region: { x: 0, y: 1900, width: 2220, height: 1067 } });
const pipeCount = pipe.coords.length / 2;
const pipeRate = (pipeCount * 1000) / (performance.now() - t);
const pipeCpu = cpuMsSince(c0) / pipeCount;
loop.disable();
const bare2 = await measureBare(3);
await bare.release();
const bareRate = (bare1.rate + bare2.rate) / 2;
const bareCpu = (bare1.cpuMs + bare2.cpuMs) / 2;
results['bare onnxruntime, vits16-random, batch 16'] = `${fmt(bareRate)} patches/s (${fmt(bare1.rate)} before, ${fmt(bare2.rate)} after the pipeline; ${threads} threads), ${fmt(bareCpu, 0)} CPU-ms/patch`;
results['full pipeline, vits16-random, batch 16'] = `${fmt(pipeRate)} patches/s over ${pipeCount} patches = ${fmt((100 * pipeRate) / bareRate)}% of bare (target ≥ 90%); ${fmt(pipeCpu, 0)} CPU-ms/patch = ${fmt((100 * bareCpu) / pipeCpu)}% CPU efficiency of bare`;
console.log(`2. full pipeline vits16-random: ${fmt(pipeRate)} patches/s (${pipeCount} patches), ${fmt((100 * pipeRate) / bareRate)}% of bare`);
loop = watchLoop();

// 4. A 1920×1080 viewport at 20× (level 0 of this 0.499 µm/px slide), all magnifications, through the
// scheduler, from a cold cache (its own), the model already loaded and the tissue mask known.
await vitService.close();
const viewService = new EmbeddingService({ folders, cacheDir: join(dir, 'cache-vit-view'), batchSize: batch, session: { providers: ['cpu'], threads } });
await viewService.useModel('vits16-random');
const viewCtx = await viewService.slide(cmu);
await viewCtx.tissue;
const sched = new EmbeddingScheduler(viewService, viewCtx);
t = performance.now();
c0 = process.cpuUsage();
await sched.setViewport({ x: 150, y: 700, width: 1920, height: 1080 });
await sched.idle();
const settle = (performance.now() - t) / 1000;
const p = sched.progress();
const settleCpu = cpuMsSince(c0) / p.total;
await viewService.close();

// 3. The built-in baseline end to end, from a cold cache and a freshly opened slide each time: every patch
// (tissue or not) at 0.5 µm/px, then at all three magnifications. This slide has a single level, so coarser
// patches decode 4× and 16× the pixels (a pyramidal slide reads them from its own levels).
async function baseline(mpps: number[], reps: number): Promise<{ rate: number; cpuMs: number; count: number }> {
  let count = 0;
  let time = 0;
  let cpu = 0;
  for (let rep = 0; rep < reps; rep++) {
    const svc = new EmbeddingService({ folders, cacheDir: join(dir, `cache-base-${mpps.join('-')}-${rep}`), batchSize: 32, session: { providers: ['cpu'], threads } });
    await svc.useModel();
    await svc.embed(cmu, { mpps: [2], includeBackground: true, region: { x: 0, y: 0, width: 900, height: 900 } }); // warm-up, slide opened
    const c0 = process.cpuUsage();
    const t1 = performance.now();
    const sets = await svc.embed(cmu, { mpps, includeBackground: true });
    time += performance.now() - t1;
    const c = process.cpuUsage(c0);
    cpu += (c.user + c.system) / 1000;
    count += sets.reduce((s, e) => s + e.coords.length / 2, 0);
    await svc.close();
  }
  return { rate: (count * 1000) / time, cpuMs: cpu / count, count };
}
const base05 = await baseline([0.5], 3);
const baseAll = await baseline([0.5, 1, 2], 2);
loop.disable();
const describeBase = (b: typeof base05) =>
  `${fmt(b.rate, 0)} patches/s over ${b.count} patches; ${fmt(b.cpuMs, 2)} CPU-ms/patch (all threads) → ≈ ${fmt((threads * 1000) / b.cpuMs, 0)} patches/s on ${threads} idle cores`;
results['built-in baseline end to end, 0.5 µm/px'] = `${describeBase(base05)} (target ≥ 300)`;
results['built-in baseline end to end, 0.5+1+2 µm/px'] = describeBase(baseAll);
console.log(`3. baseline end to end: 0.5 µm/px ${describeBase(base05)}; all ${describeBase(baseAll)}`);

const bareFor = p.total / bareRate;
results['viewport 1920×1080 at 20×, 0.5/1/2 µm/px, vits16-random'] = `${p.total} tissue patches settled in ${fmt(settle, 2)} s; bare session for as many: ${fmt(bareFor, 2)} s; ratio ${fmt(settle / bareFor, 2)} (target ≤ 1.1); CPU ${fmt(settleCpu, 0)} ms/patch vs bare ${fmt(bareCpu, 0)}`;
console.log(`4. viewport settle: ${p.total} patches in ${fmt(settle, 2)} s vs bare ${fmt(bareFor, 2)} s = ${fmt(settle / bareFor, 2)}×`);
results['main event-loop delay p99 (pipeline of step 2; steps 3–4)'] =
  `${phases.map((h) => `${fmt(h.percentile(99) / 1e6)} ms`).join('; ')} (max ${fmt(Math.max(...phases.map((h) => h.max)) / 1e6)} ms; target ≤ 20)`;
results['peak RSS'] = `${fmt(process.resourceUsage().maxRSS / 1024, 0)} MiB`;
results['machine load (1-min average) at the end'] = `${fmt(loadavg()[0])} on ${threads} cores (figures are wall-clock; other work on the machine lowers them)`;
results['bench wall time'] = `${fmt((performance.now() - t0) / 1000)} s`;
console.log('\nencoder bench');
for (const [k, v] of Object.entries(results)) console.log(`  ${k}: ${v}`);
