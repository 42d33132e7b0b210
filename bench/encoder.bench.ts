// Encoder runtime benchmark: `node --import tsx bench/encoder.bench.ts` (needs ../shared). Prints:
//  1. bare onnxruntime throughput on vits16-random.onnx (batch 16, all cores) — the ceiling;
//  2. the full pipeline on the same model and batch (read, resize, normalise, infer, store) vs (1), target ≥ 90%;
//  3. the built-in baseline end to end (patches/s), target ≥ 300, with patches prepared in the worker (the
//     default) and, for comparison in the same run, on the main thread; and bare onnxruntime on the built-in
//     model (same batch chunks and threads) as its CPU floor;
//  4. a 1920×1080 viewport at 20× settling into embeddings at every magnification, vs the bare time for as
//     many patches, target ≤ 1.1×;
//  main event-loop delay p99 per phase (target ≤ 20 ms) and peak RSS.
// The machine may be shared: compare ratios and CPU-ms per patch (all threads of this process), not rates.
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
import { ensureDefaultEncoder } from '../main/encoder/default-encoder-model.js';

if (!hasShared) {
  console.log('encoder bench: ../shared is absent, nothing to measure');
  process.exit(0);
}
const vitPath = shared('models', 'vits16-random.onnx');
const cmu = shared('data', 'slides', 'CMU-1-Small-Region.svs');
const dicom = shared('data', 'slides', 'dicom-CMU-1-Small-Region');
const batch = 16;
const threads = availableParallelism();
const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const models = join(dir, 'models');
const folders = { user: models, builtIn: join(dir, 'none') };
// One monitor per measured phase (re-enabling a monitor after a blocking bare run would count that gap).
const phases: { name: string; h: ReturnType<typeof monitorEventLoopDelay> }[] = [];
const watchLoop = (name: string) => {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  phases.push({ name, h });
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
let loop = watchLoop('ViT pipeline');
t = performance.now();
let c0 = process.cpuUsage();
const [pipe] = await vitService.embed(cmu, { mpps: [0.5], region: { x: 0, y: 1200, width: 2220, height: 1767 } });
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

// 4. A 1920×1080 viewport at 20× (level 0 of this 0.499 µm/px slide), all magnifications, through the
// scheduler, from a cold cache (its own), the model already loaded and the tissue mask known.
await vitService.close();
const viewService = new EmbeddingService({ folders, cacheDir: join(dir, 'cache-vit-view'), batchSize: batch, session: { providers: ['cpu'], threads } });
await viewService.useModel('vits16-random');
const viewCtx = await viewService.slide(cmu);
await viewCtx.tissue;
const sched = new EmbeddingScheduler(viewService, viewCtx);
loop = watchLoop('viewport settle');
t = performance.now();
c0 = process.cpuUsage();
await sched.setViewport({ x: 150, y: 700, width: 1920, height: 1080 });
await sched.idle();
const settle = (performance.now() - t) / 1000;
const p = sched.progress();
const settleCpu = cpuMsSince(c0) / p.total;
loop.disable();
await viewService.close();

// 3. The built-in baseline end to end, from a cold cache and a freshly opened slide each time: every patch
// (tissue or not) at 0.5 µm/px, then at all three magnifications. This slide has a single level: coarser
// patches come from its JPEG tiles box-shrunk by 2 and 4 (each tile decoded once for all three).
// Worker preparation (the default) and main-thread preparation alternate rep by rep, so that both see the
// same machine load; each phase has its own event-loop monitor.
type Base = { rate: number; cpuMs: number; count: number };
async function baselineRep(mpps: number[], rep: number, inWorker: boolean, acc: Base & { time: number; cpu: number }): Promise<void> {
  const svc = new EmbeddingService({ folders, cacheDir: join(dir, `cache-base-${mpps.join('-')}-${rep}-${inWorker}`), batchSize: 32, prepareInWorker: inWorker, session: { providers: ['cpu'] } });
  await svc.useModel();
  // Warm-up on another slide (the DICOM copy, JPEG frames, 12 levels): workers started, their code compiled
  // by V8 (a fresh worker's first patches run unoptimised: steady state is what the app sees).
  await svc.embed(dicom, { mpps: [0.5, 1, 2], includeBackground: true, region: { x: 0, y: 0, width: 1800, height: 1800 } });
  await svc.slide(cmu);
  const h = watchLoop(`built-in ${mpps.join('+')} µm/px, ${inWorker ? 'worker' : 'main-thread'} prep`);
  const c0 = process.cpuUsage();
  const t1 = performance.now();
  const sets = await svc.embed(cmu, { mpps, includeBackground: true });
  acc.time += performance.now() - t1;
  const c = process.cpuUsage(c0);
  h.disable();
  acc.cpu += (c.user + c.system) / 1000;
  acc.count += sets.reduce((s, e) => s + e.coords.length / 2, 0);
  await svc.close();
}
async function baseline(mpps: number[], reps: number): Promise<{ worker: Base; main: Base }> {
  const w = { rate: 0, cpuMs: 0, count: 0, time: 0, cpu: 0 };
  const m = { rate: 0, cpuMs: 0, count: 0, time: 0, cpu: 0 };
  for (let rep = 0; rep < reps; rep++) {
    await baselineRep(mpps, rep, true, w);
    await baselineRep(mpps, rep, false, m);
  }
  const fin = (a: typeof w): Base => ({ rate: (a.count * 1000) / a.time, cpuMs: a.cpu / a.count, count: a.count });
  return { worker: fin(w), main: fin(m) };
}
// Bare onnxruntime on the built-in model as the session runs it: batches of 8, cores − 1 threads.
const builtInThreads = Math.max(1, threads - 1);
const builtInDir = await ensureDefaultEncoder(join(dir, 'builtin'));
const bareBuiltIn = await ort.InferenceSession.create(join(builtInDir, 'model.onnx'), {
  intraOpNumThreads: builtInThreads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});
const xb = new ort.Tensor('float32', new Float32Array(8 * 3 * 224 * 224).map(() => Math.random()), [8, 3, 224, 224]);
await bareBuiltIn.run({ pixels: xb });
async function measureBareBuiltIn(runs: number): Promise<Base> {
  const c0 = process.cpuUsage();
  const t1 = performance.now();
  for (let i = 0; i < runs; i++) await bareBuiltIn.run({ pixels: xb });
  return { rate: (runs * 8 * 1000) / (performance.now() - t1), cpuMs: cpuMsSince(c0) / (runs * 8), count: runs * 8 };
}
const bareB1 = await measureBareBuiltIn(40);
const base05 = await baseline([0.5], 3);
const baseAll = await baseline([0.5, 1, 2], 2);
const bareB2 = await measureBareBuiltIn(40);
await bareBuiltIn.release();
const describeBase = (b: Base) =>
  `${fmt(b.rate, 0)} patches/s over ${b.count} patches; ${fmt(b.cpuMs, 2)} CPU-ms/patch (all threads) → ≈ ${fmt((threads * 1000) / b.cpuMs, 0)} patches/s on ${threads} idle cores`;
const bareBuiltInCpu = (bareB1.cpuMs + bareB2.cpuMs) / 2;
results['bare onnxruntime, built-in model, batch 8'] = `${fmt((bareB1.rate + bareB2.rate) / 2, 0)} patches/s on ${builtInThreads} thread(s), ${fmt(bareBuiltInCpu, 2)} CPU-ms/patch (inference only: the floor)`;
results['built-in baseline end to end, 0.5 µm/px, worker prep'] = `${describeBase(base05.worker)} (target ≥ 300)`;
results['built-in baseline end to end, 0.5 µm/px, main-thread prep'] = describeBase(base05.main);
results['built-in baseline end to end, 0.5+1+2 µm/px, worker prep'] = describeBase(baseAll.worker);
results['built-in baseline end to end, 0.5+1+2 µm/px, main-thread prep'] = describeBase(baseAll.main);
console.log(`3. baseline end to end (worker prep): 0.5 µm/px ${describeBase(base05.worker)}; all ${describeBase(baseAll.worker)}`);

const bareFor = p.total / bareRate;
results['viewport 1920×1080 at 20×, 0.5/1/2 µm/px, vits16-random'] = `${p.total} tissue patches settled in ${fmt(settle, 2)} s; bare session for as many: ${fmt(bareFor, 2)} s; ratio ${fmt(settle / bareFor, 2)} (target ≤ 1.1); CPU ${fmt(settleCpu, 0)} ms/patch vs bare ${fmt(bareCpu, 0)}`;
console.log(`4. viewport settle: ${p.total} patches in ${fmt(settle, 2)} s vs bare ${fmt(bareFor, 2)} s = ${fmt(settle / bareFor, 2)}×`);
const byPhase = new Map<string, ReturnType<typeof monitorEventLoopDelay>[]>();
for (const { name, h } of phases) byPhase.set(name, [...(byPhase.get(name) ?? []), h]);
results['main event-loop delay p99 (max), target ≤ 20 ms'] = [...byPhase]
  .map(([name, hs]) => `${name}: ${fmt(Math.max(...hs.map((h) => h.percentile(99))) / 1e6)} (${fmt(Math.max(...hs.map((h) => h.max)) / 1e6)}) ms`)
  .join('; ');
results['peak RSS'] = `${fmt(process.resourceUsage().maxRSS / 1024, 0)} MiB`;
results['machine load (1-min average) at the end'] = `${fmt(loadavg()[0])} on ${threads} cores (figures are wall-clock; other work on the machine lowers them)`;
results['bench wall time'] = `${fmt((performance.now() - t0) / 1000)} s`;
console.log('\nencoder bench');
for (const [k, v] of Object.entries(results)) console.log(`  ${k}: ${v}`);
