// Whole slides at real size: `tessera embed --all-tissue` at 0.5 µm/px on a 100,000 × 80,000 px slide.
//   node --import tsx bench/real-size-slide.bench.ts          (needs ../shared; about 15 min on 2 busy cores)
// env: REAL_SLIDE_VIT_PATCHES=2000 (tissue patches the ViT-S/16 run is bounded to),
//      REAL_SLIDE_BUILTIN_PATCHES=0 (0 = every tissue patch), REAL_SLIDE_PHASE_PATCHES=1024 (patches of the
//      read+prepare and bare-inference measurements), REAL_SLIDE_CASES=big-builtin,big-vit,44k-builtin,44k-vit,
//      REAL_SLIDE_WIDTH=100000, REAL_SLIDE_HEIGHT=80000 (smaller: a quick check of the bench itself).
// The slide: a 100,000 × 80,000 tiled JPEG (q80, 256² tiles) BigTIFF pyramid at 0.25 µm/px, tiled from the
// real tissue of CMU-1-Small-Region, streamed tile by tile into a temp folder (removed at exit, as is all
// else written here). The 44,400 × 32,637 pyramid of bench/tiles.bench.ts (same code path, 0.499 µm/px) is
// the smaller slide whose peak RSS the big one is compared with.
// Each case runs in its own process (own peak RSS), through the EmbeddingService the CLI uses (its default
// batch, threads and worker preparation; only the model and cache folders are temp ones), then writes the
// HDF5 as `tessera embed` does. Phases: the pipeline overlaps them (preparation worker and encoder worker),
// so they are measured apart in the same process after the run (its peak RSS already taken): read+prepare
// = PatchReader (tile decode, resize) + normalisation on this thread from a cold tile cache; infer = bare
// onnxruntime with the session's threads and run batch on as many patches; write = the HDF5.
// Figures are printed, never asserted; the machine may be shared, so CPU-ms per patch (all threads of the
// process) is printed beside every rate.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { tesseraDataDir } from '../main/common/data-dir.js';
import type { Rect } from '../main/encoder/patch-grid.js';
import { EmbeddingService } from '../main/encoder/embedding-service.js';
import { importModel } from '../main/encoder/model-import.js';
import { PatchReader } from '../main/encoder/patch-reader.js';
import { writeEmbeddingsH5 } from '../main/encoder/write-embeddings.js';
import { openSlide } from '../main/slide/open-slide.js';
import { hasShared, shared } from '../main/testing/shared-data.js';
import { ensureBigPyramid } from './tile-bench-support.js';

const vitId = 'vits16-random';
const mpp = 0.5;

interface CaseFigures {
  model: string;
  provider: string;
  batchSize: number;
  slideWidth: number;
  slideHeight: number;
  gridPatches: number;
  tissuePatches: number;
  embedded: number;
  loadModelMs: number;
  tissueMaskMs: number;
  embedMs: number;
  embedCpuMs: number;
  writeMs: number;
  peakRssSampledMb: number;
  maxRssMb: number;
  phasePatches: number;
  prepMs: number;
  prepCpuMs: number;
  inferMs: number;
  inferCpuMs: number;
  inferThreads: number;
  inferRunBatch: number;
}

const cpuMs = (c0: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
};

/** One case, in a child process: prints its figures as JSON and exits. */
async function runCase(slidePath: string, modelsDir: string, workDir: string, modelId: string, limit: number, phasePatches: number): Promise<void> {
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 50);
  const service = new EmbeddingService({ folders: { user: modelsDir, builtIn: join(workDir, 'none') }, cacheDir: join(workDir, 'cache') });
  let t = performance.now();
  const manifest = await service.useModel(modelId === 'builtin' ? undefined : modelId);
  const loadModelMs = performance.now() - t;
  const ctx = await service.slide(slidePath);
  t = performance.now();
  await ctx.tissue; // the CLI computes it too, before the first patch
  const tissueMaskMs = performance.now() - t;
  const grid = service.grid(ctx, mpp);
  const l0 = ctx.reader.levels[0];
  const all = await service.patchesIn(ctx, grid, undefined, true);
  const tissue = await service.patchesIn(ctx, grid);
  const tissuePatches = tissue.length / 2;
  // Bounded runs: a contiguous run (row order) of tissue patches from the middle of the slide, given to the
  // service as one rectangle per patch (1 px inside it, so neighbours do not count).
  let regions: Rect[] | undefined;
  let chosen = tissue;
  if (limit > 0 && limit < tissuePatches) {
    const start = 2 * Math.floor((tissuePatches - limit) / 2);
    chosen = tissue.slice(start, start + 2 * limit);
    regions = [];
    for (let k = 0; k < chosen.length; k += 2) regions.push({ x: chosen[k] + 1, y: chosen[k + 1] + 1, width: grid.level0Size - 2, height: grid.level0Size - 2 });
  }
  const c0 = process.cpuUsage();
  t = performance.now();
  const [set] = await service.embed(slidePath, { mpps: [mpp], ...(regions ? { regions } : {}) });
  const embedMs = performance.now() - t;
  const embedCpuMs = cpuMs(c0);
  t = performance.now();
  await writeEmbeddingsH5(join(workDir, 'out.h5'), set, { modelSha256: manifest.sha256, slideMpp: ctx.scale.mpp });
  const writeMs = performance.now() - t;
  clearInterval(sampler);
  const peakRssSampledMb = Math.max(peak, process.memoryUsage.rss()) / 2 ** 20;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;

  // Phases apart. Read + prepare on this thread from a cold tile cache (a fresh reader of the slide).
  const n = Math.min(phasePatches, set.coords.length / 2);
  const sample = chosen.slice(0, 2 * n);
  const fresh = await openSlide(slidePath);
  const reader = new PatchReader(fresh, grid);
  const size = manifest.input.size;
  const { mean, std } = manifest.input;
  const scale = manifest.input.scale ?? 1 / 255;
  const bytes = size * size * 3;
  const batch = 32;
  const pixels = new Uint8Array(batch * bytes);
  const tensor = new Float32Array(batch * bytes);
  // Warm-up (code compiled, as in the long-running worker) on the last patches of the run, far from the sample's tiles.
  await reader.readBatch(chosen.slice(Math.max(0, chosen.length - 2 * batch)), pixels);
  const p0 = process.cpuUsage();
  t = performance.now();
  for (let k = 0; k < sample.length; k += 2 * batch) {
    const coords = sample.subarray(k, k + 2 * batch);
    await reader.readBatch(coords, pixels);
    const m = coords.length / 2;
    for (let i = 0; i < m; i++) {
      for (let c = 0; c < 3; c++) {
        const o = (i * 3 + c) * size * size;
        const a = scale / std[c];
        const b = mean[c] / std[c];
        for (let p = 0; p < size * size; p++) tensor[o + p] = pixels[i * bytes + p * 3 + c] * a - b;
      }
    }
  }
  const prepMs = performance.now() - t;
  const prepCpuMs = cpuMs(p0);
  await fresh.close();
  // Bare onnxruntime on as many patches, as the session runs them (threads, largest run batch).
  const threads = availableParallelism();
  const builtIn = modelId === 'builtin';
  const inferThreads = builtIn ? Math.max(1, threads - 1) : threads;
  const inferRunBatch = builtIn ? 8 : service.batchSize;
  const { entry } = await service.encoder();
  await service.close();
  const bare = await ort.InferenceSession.create(entry.onnxPath, {
    intraOpNumThreads: inferThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const x = new ort.Tensor('float32', tensor.subarray(0, inferRunBatch * bytes).slice(), [inferRunBatch, 3, size, size]);
  const feeds = { [bare.inputNames[0]]: x };
  await bare.run(feeds);
  const runs = Math.max(1, Math.round(n / inferRunBatch));
  const i0 = process.cpuUsage();
  t = performance.now();
  for (let r = 0; r < runs; r++) await bare.run(feeds);
  const inferMs = ((performance.now() - t) * n) / (runs * inferRunBatch);
  const inferCpuMs = (cpuMs(i0) * n) / (runs * inferRunBatch);
  await bare.release();
  const figures: CaseFigures = {
    model: manifest.id,
    provider: service.runtime?.provider ?? 'cpu',
    batchSize: service.batchSize,
    slideWidth: l0.width,
    slideHeight: l0.height,
    gridPatches: all.length / 2,
    tissuePatches,
    embedded: set.coords.length / 2,
    loadModelMs,
    tissueMaskMs,
    embedMs,
    embedCpuMs,
    writeMs,
    peakRssSampledMb,
    maxRssMb,
    phasePatches: n,
    prepMs,
    prepCpuMs,
    inferMs,
    inferCpuMs,
    inferThreads,
    inferRunBatch,
  };
  process.stdout.write(JSON.stringify(figures));
  process.exit(0); // onnxruntime's thread pools must not keep the child alive
}

/**
 * The 100,000 × 80,000 slide at 0.25 µm/px: CMU-1-Small-Region (cropped to 2176 × 2944, multiples of 64, so
 * that levels 1–6 are exact reductions of the same periodic picture) tiled across it; a tiled JPEG (q80,
 * YCbCr 4:2:0, 256² tiles) BigTIFF pyramid down to one tile, written tile by tile, streamed (sharp refuses
 * JPEG-compressed TIFF output wider than 65,535 px, so the bench writes the BigTIFF itself).
 */
async function writeRealSizeSlide(svsPath: string, path: string): Promise<number> {
  const width = Number(process.env.REAL_SLIDE_WIDTH ?? 100_000);
  const height = Number(process.env.REAL_SLIDE_HEIGHT ?? 80_000);
  const tile = 256;
  const slide = await openSlide(svsPath);
  const period = { width: 2176, height: 2944 };
  const region = await slide.readRegion(0, 0, 0, period.width, period.height);
  await slide.close();
  const rgb0 = await sharp(region.data, { raw: { width: period.width, height: period.height, channels: 4 } }).removeAlpha().raw().toBuffer();
  const fh = await open(path, 'w');
  let at = 16n;
  const write = async (b: Buffer): Promise<bigint> => {
    const where = at;
    await fh.write(b, 0, b.length, Number(at));
    at += BigInt(b.length + (b.length % 2));
    return where;
  };
  const ifds: { tags: [number, number, (number | bigint)[]][] }[] = [];
  let tiles = 0;
  for (let level = 0; ; level++) {
    const f = 2 ** level;
    const w = Math.ceil(width / f);
    const h = Math.ceil(height / f);
    const pw = Math.max(1, Math.round(period.width / f));
    const ph = Math.max(1, Math.round(period.height / f));
    const src = level === 0 ? rgb0 : await sharp(rgb0, { raw: { ...period, channels: 3 } }).resize(pw, ph, { fit: 'fill' }).raw().toBuffer();
    const cols = Math.ceil(w / tile);
    const rows = Math.ceil(h / tile);
    const offsets: bigint[] = [];
    const counts: number[] = [];
    const encode = (col: number, row: number): Promise<Buffer> => {
      const px = Buffer.alloc(tile * tile * 3);
      for (let y = 0; y < tile; y++) {
        const sy = (row * tile + y) % ph;
        let x = 0;
        while (x < tile) {
          const sx = (col * tile + x) % pw;
          const n = Math.min(tile - x, pw - sx);
          src.copy(px, (y * tile + x) * 3, (sy * pw + sx) * 3, (sy * pw + sx + n) * 3);
          x += n;
        }
      }
      return sharp(px, { raw: { width: tile, height: tile, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
    };
    // Encoded a few ahead (libuv threads), written in order.
    const ahead: Promise<Buffer>[] = [];
    const total = cols * rows;
    let queued = 0;
    const fill = () => {
      while (ahead.length < 8 && queued < total) {
        ahead.push(encode(queued % cols, Math.floor(queued / cols)));
        queued++;
      }
    };
    fill();
    while (ahead.length) {
      const bytes = await ahead.shift()!;
      fill();
      offsets.push(await write(bytes));
      counts.push(bytes.length);
    }
    tiles += total;
    const res = Math.round(1e4 / (0.25 * f));
    ifds.push({
      tags: [
        [254, 4, [level === 0 ? 0 : 1]],
        [256, 4, [w]],
        [257, 4, [h]],
        [258, 3, [8, 8, 8]],
        [259, 3, [7]],
        [262, 3, [6]],
        [277, 3, [3]],
        [282, 5, [res, 1]],
        [283, 5, [res, 1]],
        [284, 3, [1]],
        [296, 3, [3]],
        [305, 2, []],
        [322, 4, [tile]],
        [323, 4, [tile]],
        [324, 16, offsets],
        [325, 4, counts],
        [530, 3, [2, 2]],
      ],
    });
    if (w <= tile && h <= tile) break;
  }
  // Directories at the end (BigTIFF: 8-byte counts and offsets; values over 8 bytes out of line).
  const size = { 2: 1, 3: 2, 4: 4, 5: 8, 16: 8 } as Record<number, number>;
  const software = Buffer.from('tessera bench/real-size-slide.bench.ts\0', 'latin1');
  const ifdOffsets: bigint[] = [];
  const ifdBuffers: Buffer[] = [];
  for (const ifd of ifds) {
    const entries = Buffer.alloc(8 + ifd.tags.length * 20 + 8);
    entries.writeBigUInt64LE(BigInt(ifd.tags.length), 0);
    for (const [i, [tag, type, values]] of ifd.tags.entries()) {
      const count = type === 2 ? software.length : type === 5 ? values.length / 2 : values.length;
      let bytes: Buffer;
      if (type === 2) bytes = software;
      else {
        bytes = Buffer.alloc(values.length * (type === 5 ? 4 : size[type]));
        values.forEach((v, k) => {
          if (type === 3) bytes.writeUInt16LE(Number(v), k * 2);
          else if (type === 16) bytes.writeBigUInt64LE(BigInt(v), k * 8);
          else bytes.writeUInt32LE(Number(v), k * 4);
        });
      }
      const e = 8 + i * 20;
      entries.writeUInt16LE(tag, e);
      entries.writeUInt16LE(type, e + 2);
      entries.writeBigUInt64LE(BigInt(count), e + 4);
      if (bytes.length <= 8) bytes.copy(entries, e + 12);
      else entries.writeBigUInt64LE(await write(bytes), e + 12);
    }
    ifdBuffers.push(entries);
    ifdOffsets.push(at);
    at += BigInt(entries.length);
  }
  for (let i = 0; i < ifdBuffers.length; i++) {
    if (i + 1 < ifdBuffers.length) ifdBuffers[i].writeBigUInt64LE(ifdOffsets[i + 1], ifdBuffers[i].length - 8);
    await fh.write(ifdBuffers[i], 0, ifdBuffers[i].length, Number(ifdOffsets[i]));
  }
  const header = Buffer.alloc(16);
  header.write('II', 0, 'latin1');
  header.writeUInt16LE(43, 2);
  header.writeUInt16LE(8, 4);
  header.writeBigUInt64LE(ifdOffsets[0], 8);
  await fh.write(header, 0, 16, 0);
  await fh.close();
  return tiles;
}

/**
 * The case's process: plain node that loads h5wasm before registering tsx, then this script. Under `--import
 * tsx` the HDF5 writer's h5wasm (4 MB of JavaScript with its WebAssembly inlined) is transformed in-process
 * by tsx, which costs ~600 MiB of RSS that `tessera embed` (compiled, no tsx) never has: measured 700 MiB vs
 * 80 MiB for `await h5wasm.ready` alone. Loaded first, the module is cached and tsx never sees it.
 */
const caseBoot = `await import('h5wasm/node'); (await import('tsx/esm/api')).register(); await import(${JSON.stringify(import.meta.url)});`;

function child(args: string[]): Promise<CaseFigures> {
  const script = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', caseBoot, script, '--case', ...args], { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`case ${args.join(' ')} failed: ${err.message}\n${stderr.trim().split('\n').slice(-8).join('\n')}`));
      else resolve(JSON.parse(stdout) as CaseFigures);
    });
  });
}

const fmt = (v: number, d = 1) => v.toFixed(d);

async function main(): Promise<void> {
  if (!hasShared) {
    console.log('real-size slide bench: ../shared is absent, nothing to measure');
    return;
  }
  const vitLimit = Number(process.env.REAL_SLIDE_VIT_PATCHES ?? 2000);
  const builtInLimit = Number(process.env.REAL_SLIDE_BUILTIN_PATCHES ?? 0);
  const phasePatches = Number(process.env.REAL_SLIDE_PHASE_PATCHES ?? 1024);
  const wanted = (process.env.REAL_SLIDE_CASES ?? 'big-builtin,big-vit,44k-builtin,44k-vit').split(',');
  const dir = mkdtempSync(join(tmpdir(), 'tessera-real-slide-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
  const t0 = performance.now();
  const threads = availableParallelism();
  console.log(`real-size slide bench: tessera embed --all-tissue at ${mpp} µm/px, through EmbeddingService; load average ${fmt(loadavg()[0])} at start`);
  console.log(`machine: ${threads} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, onnxruntime-node ${ort.env.versions.common}, sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}`);
  const svs = shared('data', 'slides', 'CMU-1-Small-Region.svs');
  const bigPath = join(dir, 'real-size-slide.tiff');
  let t = performance.now();
  const c0 = process.cpuUsage();
  const tileCount = await writeRealSizeSlide(svs, bigPath);
  const { size: bigBytes } = await stat(bigPath);
  const big = await openSlide(bigPath);
  console.log(
    `slide: ${big.levels[0].width} × ${big.levels[0].height} px at ${big.mpp?.x ?? '?'} µm/px, ${big.levels.length} levels, ${fmt(bigBytes / 2 ** 30, 2)} GiB BigTIFF, ${tileCount} JPEG tiles; written in ${fmt((performance.now() - t) / 1000, 0)} s (${fmt(cpuMs(c0) / 1000, 0)} CPU-s, streamed)`,
  );
  await big.close();
  process.stderr.write('preparing the 44,400 × 32,637 pyramid (first run only, about a minute)…\n');
  const smallPath = await ensureBigPyramid(svs, join(tesseraDataDir(), 'bench'));
  const models = join(dir, 'models');
  await importModel(shared('models', 'vits16-random.onnx'), { id: vitId, magnifications: [0.5, 1, 2], licence: 'random weights, benchmarking only' }, { modelsDir: models });

  const cases: [string, string, string, string, number][] = [
    ['big-builtin', '100k × 80k', bigPath, 'builtin', builtInLimit],
    ['big-vit', '100k × 80k', bigPath, vitId, vitLimit],
    ['44k-builtin', '44k × 33k', smallPath, 'builtin', builtInLimit],
    ['44k-vit', '44k × 33k', smallPath, vitId, vitLimit],
  ];
  const got = new Map<string, CaseFigures>();
  for (const [id, label, path, model, limit] of cases) {
    if (!wanted.includes(id)) continue;
    process.stderr.write(`case ${id}…\n`);
    const work = join(dir, id);
    t = performance.now();
    const r = await child([path, models, work, model, String(limit), String(phasePatches)]);
    rmSync(work, { recursive: true, force: true });
    got.set(id, r);
    const rate = (r.embedded * 1000) / r.embedMs;
    const minutes = r.tissuePatches / rate / 60;
    const bounded = r.embedded < r.tissuePatches;
    const prepCpu = r.prepCpuMs / r.phasePatches;
    const inferCpu = r.inferCpuMs / r.phasePatches;
    const pipeCpu = r.embedCpuMs / r.embedded;
    console.log('');
    console.log(`${label} (${r.slideWidth} × ${r.slideHeight}), ${r.model} on ${r.provider}, batch ${r.batchSize}:`);
    console.log(`  tissue patches: ${r.tissuePatches} of ${r.gridPatches} grid patches; embedded ${r.embedded}${bounded ? ` (bounded run: minutes per slide extrapolated from it)` : ' (all)'}`);
    console.log(
      `  embed: ${fmt(rate)} patches/s, ${fmt(pipeCpu, 2)} CPU-ms/patch (all threads) → ${fmt((threads * 1000) / pipeCpu, 0)} patches/s on ${threads} idle cores; ${fmt(minutes, 2)} min per slide${bounded ? ' (extrapolated)' : ''}` +
        (r.model === vitId ? '' : ` (target ≥ 300 patches/s: ${rate >= 300 ? 'met' : 'NOT met'})`),
    );
    console.log(`  before the first patch: model load ${fmt(r.loadModelMs, 0)} ms, tissue mask ${fmt(r.tissueMaskMs, 0)} ms`);
    console.log(
      `  phases (apart, ${r.phasePatches} patches): read+prepare ${fmt(r.prepMs / r.phasePatches, 2)} ms/patch wall, ${fmt(prepCpu, 2)} CPU-ms/patch (${fmt(1000 / prepCpu, 0)} patches/s per core); infer (bare onnxruntime, ${r.inferThreads} threads, run batch ${r.inferRunBatch}) ${fmt(r.inferMs / r.phasePatches, 2)} ms/patch wall, ${fmt(inferCpu, 2)} CPU-ms/patch; write HDF5 ${fmt(r.writeMs, 0)} ms (${fmt(r.writeMs / r.embedded, 3)} ms/patch)`,
    );
    console.log(
      `  CPU split of the embed run: prepare ${fmt((100 * prepCpu) / pipeCpu, 0)}%, infer ${fmt((100 * inferCpu) / pipeCpu, 0)}%, rest (store appends, scheduling, transfers) ${fmt((100 * (pipeCpu - prepCpu - inferCpu)) / pipeCpu, 0)}%; embed wall vs bare infer for as many: ${fmt(r.embedMs / ((r.inferMs / r.phasePatches) * r.embedded), 2)}×`,
    );
    console.log(`  peak RSS: ${fmt(r.peakRssSampledMb, 0)} MiB sampled every 50 ms, ${fmt(r.maxRssMb, 0)} MiB maxRSS (target ≤ 1.5 GB = 1431 MiB: ${r.maxRssMb * 2 ** 20 <= 1.5e9 ? 'met' : 'NOT met'}); case wall ${fmt((performance.now() - t) / 1000, 0)} s`);
  }
  console.log('');
  for (const model of ['builtin', 'vit']) {
    const a = got.get(`big-${model}`);
    const b = got.get(`44k-${model}`);
    if (!a || !b) continue;
    console.log(
      `peak RSS vs slide size, ${a.model}: ${fmt(a.maxRssMb, 0)} MiB on the 100k slide (${a.embedded} patches embedded) vs ${fmt(b.maxRssMb, 0)} MiB on the 44k slide (${b.embedded}) = ${fmt(a.maxRssMb / b.maxRssMb, 2)}× for ${fmt((a.slideWidth * a.slideHeight) / (b.slideWidth * b.slideHeight), 1)}× the pixels`,
    );
  }
  console.log(`load average ${fmt(loadavg()[0])} at the end; bench wall ${fmt((performance.now() - t0) / 1000, 0)} s`);
}

if (process.argv[2] === '--case') {
  const [, , , slide, models, work, model, limit, phase] = process.argv;
  await runCase(slide, models, work, model, Number(limit), Number(phase));
} else {
  await main();
}
