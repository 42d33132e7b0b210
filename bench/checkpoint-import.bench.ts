// Checkpoint import benchmark: `node --import tsx bench/checkpoint-import.bench.ts` (needs ../shared). Random timm
// ViT checkpoints are written into a temp folder (removed at exit), imported (main/encoder/checkpoint/) and run.
// Prints:
//  1. ViT-S/16 (384, depth 12, 6 heads) and ViT-L/16 (1024, depth 24, 16 heads, LayerScale): import time and
//     peak RSS of the import (in a child process of its own); bare onnxruntime on the imported model.onnx (all
//     cores, graphOptimizationLevel 'all'; batch 16 for S, 8 for L) — the ceiling — vs the full pipeline
//     (EmbeddingService: read, resize, normalise, infer, store real CMU-1-Small-Region patches at 0.5 µm/px,
//     same batch), patches/s and CPU-ms/patch, pipeline/bare target ≥ 90%;
//  2. ViT-g-sized (1536, depth 40, 24 heads, patch 14, packed GLU, 4 registers, LayerScale; ≈ 1.1 B params,
//     ≈ 4.5 GB of float32): import in a child process, peak RSS (sampled every 50 ms, and maxRSS) vs the
//     weights' size, target peak ≤ weights + 1 GiB; the ONNX must come out with external data (printed); then
//     opened once by onnxruntime in another child (time, RSS), no inference;
//  3. ViT-L with float16 weights: file size vs float32, max |Δ| of its embeddings vs the float32 model's on the
//     same patches.
// Figures are printed, never asserted. The machine may be shared: compare ratios and CPU-ms per patch (all
// threads of this process, from process.cpuUsage), not rates. Runs in ~4 minutes on 2 cores (needs ~9 GB of
// temp disk at once for the ViT-g, ~6 GB of memory).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, freemem, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import { hasShared, repoRoot, shared } from '../main/testing/shared-data.js';
import { importCheckpoint } from '../main/encoder/checkpoint/checkpoint-import.js';
import { writeRandomVitSnapshot, type RandomVitShape } from '../main/encoder/checkpoint/testing/random-vit-checkpoint.js';
import { EmbeddingService } from '../main/encoder/embedding-service.js';
import type { ModelEntry } from '../main/encoder/model-registry.js';
import type { Rect } from '../main/encoder/patch-grid.js';

const self = fileURLToPath(import.meta.url);
const resultMark = '@@bench-result ';
const threads = availableParallelism();
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const fmt = (v: number, d = 1) => v.toFixed(d);
const gib = (b: number) => `${fmt(b / GiB, 2)} GiB`;
const mib = (b: number) => (b < MiB ? `${fmt(b / 1024, 0)} KiB` : `${fmt(b / MiB, 0)} MiB`);
const cpuMsSince = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

interface ImportJob {
  snapshot: string;
  modelsDir: string;
  id: string;
  weights: 'float32' | 'float16';
}
interface ImportReport {
  entry: ModelEntry;
  seconds: number;
  /** RSS when the child was ready to import (Node, tsx and the modules loaded). */
  startRss: number;
  /** Highest RSS sampled every 50 ms during the import, and the kernel's high-water mark (bytes). */
  sampledPeak: number;
  maxRss: number;
  /** Per import phase (reading, converting, verifying…): seconds and highest sampled RSS. */
  phases: { phase: string; seconds: number; peak: number }[];
}
interface OpenReport {
  seconds: number;
  startRss: number;
  rssOpen: number;
  maxRss: number;
  inputs: readonly string[];
  outputs: readonly string[];
}

/** Child mode: one import, its RSS watched; the report goes to stdout after `resultMark`. */
async function importChild(job: ImportJob): Promise<void> {
  const startRss = process.memoryUsage().rss;
  let phase = 'start';
  let phaseStart = performance.now();
  const phases: ImportReport['phases'] = [];
  let sampledPeak = startRss;
  let phasePeak = startRss;
  const sample = () => {
    const r = process.memoryUsage().rss;
    if (r > sampledPeak) sampledPeak = r;
    if (r > phasePeak) phasePeak = r;
  };
  const timer = setInterval(sample, 50);
  const t0 = performance.now();
  const entry = await importCheckpoint(job.snapshot, {
    modelsDir: job.modelsDir,
    weights: job.weights,
    overrides: { id: job.id, magnifications: [0.5], licence: 'random weights, benchmarking only' },
    onProgress: (p) => {
      if (p.phase === phase) return;
      sample();
      phases.push({ phase, seconds: (performance.now() - phaseStart) / 1000, peak: phasePeak });
      phase = p.phase;
      phaseStart = performance.now();
      phasePeak = process.memoryUsage().rss;
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(timer);
  sample();
  const report: ImportReport = { entry, seconds, startRss, sampledPeak, maxRss: process.resourceUsage().maxRSS * 1024, phases: phases.filter((p) => p.phase !== 'start') };
  process.stdout.write(`${resultMark}${JSON.stringify(report)}\n`);
}

/** Child mode: open a model with onnxruntime as the encoder worker does (no inference). */
async function openChild(onnxPath: string): Promise<void> {
  const startRss = process.memoryUsage().rss;
  const t0 = performance.now();
  const s = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
  const seconds = (performance.now() - t0) / 1000;
  const rssOpen = process.memoryUsage().rss;
  const report: OpenReport = { seconds, startRss, rssOpen, maxRss: process.resourceUsage().maxRSS * 1024, inputs: s.inputNames, outputs: s.outputNames };
  await s.release();
  process.stdout.write(`${resultMark}${JSON.stringify(report)}\n`);
}

/** Runs this file in a child mode; resolves with its report, rejects with its stderr's tail. */
function runChild<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith(resultMark));
      if (code === 0 && line) resolve(JSON.parse(line.slice(resultMark.length)) as T);
      else reject(new Error(`child ${args[0]} exited with ${signal ?? `code ${code}`}: ${err.trim().split('\n').slice(-4).join(' | ') || '(no stderr)'}`));
    });
  });
}

const fileBytes = (entry: ModelEntry) => {
  const onnx = statSync(entry.onnxPath).size;
  const data = entry.manifest.externalData ? statSync(join(entry.dir, entry.manifest.externalData.file)).size : 0;
  return { onnx, data, total: onnx + data };
};
const describeImport = (r: ImportReport, weightBytes: number) =>
  `${fmt(r.seconds)} s; peak RSS ${mib(Math.max(r.sampledPeak, r.maxRss))} (maxRSS ${mib(r.maxRss)}, sampled ${mib(r.sampledPeak)}; ${mib(r.startRss)} before the import) for ${mib(weightBytes)} of weights; ` +
  r.phases.map((p) => `${p.phase} ${fmt(p.seconds)} s/${mib(p.peak)}`).join(', ');

async function main(): Promise<void> {
  if (!hasShared) {
    console.log('checkpoint-import bench: ../shared is absent, nothing to measure');
    return;
  }
  const cmu = shared('data', 'slides', 'CMU-1-Small-Region.svs');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-ckpt-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
  const models = join(dir, 'models');
  mkdirSync(models);
  const folders = { user: models, builtIn: join(dir, 'none') };
  const results: Record<string, string> = {};
  const t0 = performance.now();

  async function snapshot(name: string, shape: RandomVitShape): Promise<{ path: string; bytes: number; seconds: number }> {
    const path = join(dir, name);
    mkdirSync(path);
    const t = performance.now();
    await writeRandomVitSnapshot(path, shape);
    return { path, bytes: statSync(join(path, 'model.safetensors')).size, seconds: (performance.now() - t) / 1000 };
  }

  /** Bare onnxruntime: one random input run again and again; wall clock and CPU of this process. */
  async function bareSession(onnxPath: string, batch: number) {
    const s = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
    const x = new ort.Tensor('float32', new Float32Array(batch * 3 * 224 * 224).map(() => Math.random() - 0.5), [batch, 3, 224, 224]);
    await s.run({ pixels: x }); // warm-up
    return {
      async measure(runs: number): Promise<{ rate: number; cpuMs: number }> {
        const c0 = process.cpuUsage();
        const t = performance.now();
        for (let i = 0; i < runs; i++) await s.run({ pixels: x });
        return { rate: (runs * batch * 1000) / (performance.now() - t), cpuMs: cpuMsSince(c0) / (runs * batch) };
      },
      release: () => s.release(),
    };
  }

  /** Level-0 rectangles that each select exactly one grid patch (its centre). */
  const patchRects = (coords: Int32Array, from: number, count: number, size: number): Rect[] => {
    const out: Rect[] = [];
    for (let k = from; k < from + count; k++) out.push({ x: coords[2 * k] + size / 2 - 1, y: coords[2 * k + 1] + size / 2 - 1, width: 2, height: 2 });
    return out;
  };

  /**
   * The full pipeline on model `id`: one warm-up batch of other patches, then `measured` tissue patches from a
   * cold cache. Returns the rate, CPU per patch and the embeddings by patch corner.
   */
  async function pipeline(id: string, batch: number, measured: number) {
    const svc = new EmbeddingService({ folders, cacheDir: join(dir, `cache-${id}`), batchSize: batch, session: { providers: ['cpu'], threads } });
    try {
      await svc.useModel(id);
      const ctx = await svc.slide(cmu);
      await ctx.tissue; // computed once per slide; not part of steady-state throughput
      const grid = svc.grid(ctx, 0.5);
      const tissue = await svc.patchesIn(ctx, grid);
      const n = tissue.length / 2;
      if (n < 2 * batch) throw new Error(`only ${n} tissue patches at 0.5 µm/px, ${2 * batch} needed`);
      measured = Math.min(measured, Math.floor((n - batch) / batch) * batch);
      await svc.embed(cmu, { mpps: [0.5], regions: patchRects(tissue, n - batch, batch, grid.level0Size) });
      const c0 = process.cpuUsage();
      const t = performance.now();
      const [set] = await svc.embed(cmu, { mpps: [0.5], regions: patchRects(tissue, 0, measured, grid.level0Size) });
      const seconds = (performance.now() - t) / 1000;
      const count = set.coords.length / 2;
      const byCorner = new Map<string, Float32Array>();
      for (let k = 0; k < count; k++) byCorner.set(`${set.coords[2 * k]},${set.coords[2 * k + 1]}`, set.features.subarray(k * set.dim, (k + 1) * set.dim));
      return { rate: count / seconds, cpuMs: cpuMsSince(c0) / count, count, byCorner };
    } finally {
      await svc.close();
    }
  }

  /** Section 1 for one model: snapshot, import (child), bare before, pipeline, bare after. */
  async function importAndRun(label: string, id: string, shape: RandomVitShape, batch: number, bareRuns: number, measured: number) {
    const snap = await snapshot(`ckpt-${id}`, shape);
    console.log(`${label}: random checkpoint written, ${mib(snap.bytes)} in ${fmt(snap.seconds)} s`);
    const imp = await runChild<ImportReport>(['--import-child', JSON.stringify({ snapshot: snap.path, modelsDir: models, id, weights: 'float32' } satisfies ImportJob)]);
    const files = fileBytes(imp.entry);
    results[`${label} import`] = `${describeImport(imp, snap.bytes)}; model.onnx ${mib(files.onnx)}${files.data ? ` + data ${mib(files.data)}` : ''}`;
    console.log(`${label}: imported in ${fmt(imp.seconds)} s, peak RSS ${mib(Math.max(imp.sampledPeak, imp.maxRss))} (${imp.entry.manifest.checkpoint?.architecture ?? ''})`);
    const bare = await bareSession(imp.entry.onnxPath, batch);
    const bare1 = await bare.measure(bareRuns);
    console.log(`${label}: bare onnxruntime batch ${batch}: ${fmt(bare1.rate, 2)} patches/s, ${fmt(bare1.cpuMs, 0)} CPU-ms/patch`);
    const pipe = await pipeline(id, batch, measured);
    console.log(`${label}: full pipeline: ${fmt(pipe.rate, 2)} patches/s over ${pipe.count} patches, ${fmt(pipe.cpuMs, 0)} CPU-ms/patch`);
    const bare2 = await bare.measure(bareRuns);
    await bare.release();
    const bareRate = (bare1.rate + bare2.rate) / 2;
    const bareCpu = (bare1.cpuMs + bare2.cpuMs) / 2;
    results[`${label} bare onnxruntime, batch ${batch}`] =
      `${fmt(bareRate, 2)} patches/s (${fmt(bare1.rate, 2)} before, ${fmt(bare2.rate, 2)} after the pipeline; ${bareRuns} runs each, ${threads} threads), ${fmt(bareCpu, 0)} CPU-ms/patch`;
    results[`${label} full pipeline, batch ${batch}`] =
      `${fmt(pipe.rate, 2)} patches/s over ${pipe.count} patches = ${fmt((100 * pipe.rate) / bareRate)}% of bare (target ≥ 90%); ${fmt(pipe.cpuMs, 0)} CPU-ms/patch = ${fmt((100 * bareCpu) / pipe.cpuMs)}% CPU efficiency of bare`;
    console.log(`${label}: pipeline/bare ${fmt((100 * pipe.rate) / bareRate)}% (bare after: ${fmt(bare2.rate, 2)} patches/s)`);
    rmSync(snap.path, { recursive: true, force: true });
    return { entry: imp.entry, snap, pipe, files };
  }

  // 1. ViT-S/16 and ViT-L/16.
  await importAndRun('ViT-S/16', 'vit-s16-random', { embedDim: 384, depth: 12, numHeads: 6, patchSize: 16 }, 16, 4, 64);
  const lShape: RandomVitShape = { embedDim: 1024, depth: 24, numHeads: 16, patchSize: 16, layerScale: true };
  const vitL = await importAndRun('ViT-L/16', 'vit-l16-random', lShape, 8, 3, 24);

  // 3. ViT-L with float16 weights: same checkpoint (same seed), its embeddings on the same patches.
  const snapL = await snapshot('ckpt-vit-l16-fp16', lShape);
  const impH = await runChild<ImportReport>(['--import-child', JSON.stringify({ snapshot: snapL.path, modelsDir: models, id: 'vit-l16-random-fp16', weights: 'float16' } satisfies ImportJob)]);
  rmSync(snapL.path, { recursive: true, force: true });
  const filesH = fileBytes(impH.entry);
  console.log(`ViT-L/16 fp16: imported in ${fmt(impH.seconds)} s, ${mib(filesH.total)} vs ${mib(vitL.files.total)} in float32`);
  const pipeH = await pipeline('vit-l16-random-fp16', 8, vitL.pipe.count);
  let maxAbs = 0;
  let maxRef = 0;
  let compared = 0;
  let minCos = 1;
  for (const [corner, a] of vitL.pipe.byCorner) {
    const b = pipeH.byCorner.get(corner);
    if (!b) continue;
    compared++;
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < a.length; i++) {
      maxAbs = Math.max(maxAbs, Math.abs(a[i] - b[i]));
      maxRef = Math.max(maxRef, Math.abs(a[i]));
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    minCos = Math.min(minCos, dot / Math.sqrt(na * nb));
  }
  results['ViT-L/16 float16 weights'] =
    `model ${mib(filesH.total)} vs ${mib(vitL.files.total)} float32 (${fmt((100 * filesH.total) / vitL.files.total)}%); ` +
    `embeddings of ${compared} patches vs float32: max |Δ| ${maxAbs.toExponential(2)} (max |value| ${fmt(maxRef, 2)}), min cosine 1 − ${(1 - minCos).toExponential(1)}; ` +
    `pipeline ${fmt(pipeH.rate, 2)} patches/s, ${fmt(pipeH.cpuMs, 0)} CPU-ms/patch`;
  results['ViT-L/16 float16 import'] = describeImport(impH, snapL.bytes);
  console.log(`ViT-L/16 fp16: max |Δ| vs float32 ${maxAbs.toExponential(2)} over ${compared} patches, min cosine 1 − ${(1 - minCos).toExponential(1)}`);
  for (const id of ['vit-s16-random', 'vit-l16-random', 'vit-l16-random-fp16']) rmSync(join(models, id), { recursive: true, force: true });

  // 2. ViT-g-sized: import in a child process (its maxRSS is its own), then open it once with onnxruntime.
  const gShape: RandomVitShape = { embedDim: 1536, depth: 40, numHeads: 24, patchSize: 14, mlp: 'glu-packed', mlpRatio: 5.33334, regTokens: 4, layerScale: true };
  const snapG = await snapshot('ckpt-vit-g14-random', gShape);
  console.log(`ViT-g/14: random checkpoint written, ${gib(snapG.bytes)} in ${fmt(snapG.seconds)} s`);
  try {
    const impG = await runChild<ImportReport>(['--import-child', JSON.stringify({ snapshot: snapG.path, modelsDir: models, id: 'vit-g14-random', weights: 'float32' } satisfies ImportJob)]);
    rmSync(snapG.path, { recursive: true, force: true });
    const filesG = fileBytes(impG.entry);
    const peak = Math.max(impG.sampledPeak, impG.maxRss);
    const limit = snapG.bytes + GiB;
    const ext = impG.entry.manifest.externalData;
    results['ViT-g/14 import'] =
      `${fmt(impG.seconds)} s for ${impG.entry.manifest.checkpoint?.parameters ?? '?'} parameters (${impG.entry.manifest.checkpoint?.architecture ?? ''}); ` +
      impG.phases.map((p) => `${p.phase} ${fmt(p.seconds)} s/${mib(p.peak)}`).join(', ');
    results['ViT-g/14 peak RSS of the import'] =
      `${gib(peak)} (maxRSS ${gib(impG.maxRss)}, sampled every 50 ms ${gib(impG.sampledPeak)}); weights ${gib(snapG.bytes)}; ` +
      `peak ≤ weights + 1 GiB (${gib(limit)}): ${peak <= limit ? 'yes' : 'NO'}, by ${gib(Math.abs(limit - peak))}`;
    results['ViT-g/14 external data'] = ext
      ? `yes: ${JSON.stringify(ext)}; model.onnx ${mib(filesG.onnx)} + ${ext.file} ${gib(filesG.data)}`
      : `NO (model.onnx ${gib(filesG.onnx)}, no externalData in the manifest)`;
    console.log(`ViT-g/14: imported in ${fmt(impG.seconds)} s, peak RSS ${gib(peak)} vs weights ${gib(snapG.bytes)}; externalData ${ext ? JSON.stringify(ext) : 'absent'}`);
    const free = freemem();
    if (free < filesG.total + 2 * GiB) results['ViT-g/14 opened by onnxruntime'] = `skipped: ${gib(free)} of memory free, ${gib(filesG.total + 2 * GiB)} wanted`;
    else {
      try {
        const open = await runChild<OpenReport>(['--open-child', impG.entry.onnxPath]);
        results['ViT-g/14 opened by onnxruntime'] =
          `${fmt(open.seconds)} s (graphOptimizationLevel 'all', ${threads} threads); RSS ${gib(open.rssOpen)} once open, maxRSS ${gib(open.maxRss)}; inputs ${open.inputs.join(', ')} → outputs ${open.outputs.join(', ')}`;
      } catch (err) {
        results['ViT-g/14 opened by onnxruntime'] = `FAILED: ${(err as Error).message}`;
      }
    }
    console.log(`ViT-g/14: onnxruntime open: ${results['ViT-g/14 opened by onnxruntime']}`);
  } catch (err) {
    results['ViT-g/14 import'] = `FAILED: ${(err as Error).message}`;
    console.log(`ViT-g/14: import failed: ${(err as Error).message}`);
  } finally {
    rmSync(snapG.path, { recursive: true, force: true });
    rmSync(join(models, 'vit-g14-random'), { recursive: true, force: true });
  }

  results['peak RSS of this process (imports run in children)'] = mib(process.resourceUsage().maxRSS * 1024);
  results['machine load (1-min average) at the end'] = `${fmt(loadavg()[0])} on ${threads} cores (figures are wall-clock; other work on the machine lowers them)`;
  results['bench wall time'] = `${fmt((performance.now() - t0) / 1000)} s`;
  console.log('\ncheckpoint-import bench');
  for (const [k, v] of Object.entries(results)) console.log(`  ${k}: ${v}`);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}

const mode = process.argv[2];
if (mode === '--import-child' || mode === '--open-child') {
  // A child reports and exits (onnxruntime's thread pools must not keep it alive).
  if (mode === '--import-child') await importChild(JSON.parse(process.argv[3]) as ImportJob);
  else await openChild(process.argv[3]);
  process.exit(0);
} else await main();
