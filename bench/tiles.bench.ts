// Tile-serving throughput, Tessera vs OpenSlide's DeepZoomGenerator, on the same seeded requests.
//   node --import tsx bench/tiles.bench.ts
// env: TILE_BENCH_REQUESTS=600, TILE_BENCH_IN_FLIGHT=4, TILE_BENCH_CASES=big-254,big-256,svs-254,svs-240,ndpi-254,mirax-254 (any subset),
//      TILE_BENCH_PATTERNS=random,viewer, TILE_BENCH_BASELINE=/path/to/another/checkout (adds its Tessera rows,
//      run on the same request files in the same run: before/after comparisons on a busy machine).
// Slides: a 44,400 × 32,637 9-level JPEG pyramid made from CMU-1-Small-Region (built once into the
// Tessera data dir), the one-level CMU-1-Small-Region.svs itself, test3-DAPI.ndpi (Hamamatsu, 3,968 × 4,864,
// stored as 8-row JPEG strips, which OpenSlide decodes one by one and Tessera in virtual tiles of 8–38
// strips: main/slide/ndpi/virtual-tiles.ts), and a MIRAX slide from main/slide/testing/mirax-writer.ts with 1024-px camera
// images (written once into the data dir; 254/1 only for these two). Layouts: 254/1 (OpenSlide's
// default) and native-aligned (tile = stored tile, overlap 0: enables passthrough).
// Request patterns: `random` = uniform level, then uniform tile (tiny levels repeat a lot); `viewer` =
// viewports opened and panned at random levels, each tile asked once (big TIFF only).
// Each measurement runs in its own process (own caches, own peak RSS). Caches: Tessera runs as the
// server does (the slide's one decoded-tile cache, 64 MiB, which stored-level tiles and read_region share;
// derived-block LRU 64 MiB; warmUp() started at open and awaited before the timed requests; TILE_BENCH_WARMUP=background: not
// awaited, =0: not called; its time is in the warm-up column) with the encoded-tile cache
// OFF (every request is encoded), plus one row with the server's 32 MiB encoded-tile cache ON.
// OpenSlide 3.4.1 as python3-openslide uses it (its 32 MiB decoded-tile cache), one request at a time.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { openSlide } from '../main/slide/open-slide.js';
import { tesseraDataDir } from '../main/common/data-dir.js';
import { DeepZoomTileService } from '../main/tiles/deepzoom-tile-service.js';
import { shared } from '../main/testing/shared-data.js';
import { jpegDecoderDescription } from '../main/slide/codecs/libjpeg-turbo.js';
import { ensureBigPyramid, ensureMirax, summary, tileRequests, viewerRequests, type RunFigures } from './tile-bench-support.js';

const python = '/usr/bin/python3';

type Mode = 'cold' | 'server';
type TesseraFigures = RunFigures & { passthrough?: number; decodes?: number; warmUpMs?: number };

async function tesseraWorker(slidePath: string, tileSize: number, overlap: number, requestsPath: string, inFlight: number, mode: Mode): Promise<void> {
  sharp.cache(false);
  sharp.concurrency(Number(process.env.TILE_BENCH_SHARP_THREADS ?? 1));
  const requests = JSON.parse(readFileSync(requestsPath, 'utf8')) as [number, number, number][];
  const slide = await openSlide(slidePath);
  const service = new DeepZoomTileService(slide, { tileSize, overlap, ...(mode === 'cold' ? { tileCacheBytes: 0 } : {}) });
  const timesMs: number[] = [];
  let next = 0;
  // warmUp() at open as the server does; by default awaited before the timed requests (the viewer's first
  // tile request comes after the descriptor round trip); `background`: requests start at once beside it.
  const warm = process.env.TILE_BENCH_WARMUP ?? 'await';
  const opened = performance.now();
  let warmUpMs: number | undefined;
  if (warm !== '0') {
    const warming = service.warmUp().then(() => (warmUpMs = performance.now() - opened));
    if (warm === 'await') await warming;
  }
  const start = performance.now();
  const cpu0 = process.cpuUsage();
  const lane = async () => {
    while (next < requests.length) {
      const [level, col, row] = requests[next++];
      const t0 = performance.now();
      await service.getTile(level, col, row, 'jpeg', 75);
      timesMs.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const wallSeconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const stats = service.stats();
  const figures: TesseraFigures = {
    wallSeconds,
    timesMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    passthrough: stats.passthroughTiles,
    decodes: stats.storedTileDecodes,
    warmUpMs,
  };
  process.stdout.write(JSON.stringify(figures));
  await slide.close();
}

function runTessera(root: string, slide: string, ts: number, ov: number, requests: string, inFlight: number, mode: Mode): TesseraFigures {
  const script = join(root, 'bench', 'tiles.bench.ts');
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, '--worker', slide, String(ts), String(ov), requests, String(inFlight), mode], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    cwd: root,
  });
  return JSON.parse(out);
}

function runOpenSlide(slide: string, ts: number, ov: number, requests: string): RunFigures {
  const script = join(fileURLToPath(new URL('.', import.meta.url)), 'openslide_tiles.py');
  return JSON.parse(execFileSync(python, [script, slide, String(ts), String(ov), requests], { encoding: 'utf8', maxBuffer: 64 << 20 }));
}

const fmt = (n: number, d = 1) => n.toFixed(d).padStart(8);

async function main(): Promise<void> {
  const count = Number(process.env.TILE_BENCH_REQUESTS ?? 600);
  const inFlight = Number(process.env.TILE_BENCH_IN_FLIGHT ?? 4);
  const wantedCases = (process.env.TILE_BENCH_CASES ?? 'big-254,big-256,svs-254,svs-240,ndpi-254,mirax-254').split(',');
  const wantedPatterns = (process.env.TILE_BENCH_PATTERNS ?? 'random,viewer').split(',');
  const baseline = process.env.TILE_BENCH_BASELINE;
  const here = join(fileURLToPath(new URL('.', import.meta.url)), '..');
  const svs = shared('data', 'slides', 'CMU-1-Small-Region.svs');
  process.stderr.write('preparing the 44,400 × 32,637 pyramid (first run only, about a minute)…\n');
  const big = await ensureBigPyramid(svs, join(tesseraDataDir(), 'bench'));
  const ndpi = shared('data', 'slides', 'test3-DAPI.ndpi');
  const mirax = wantedCases.includes('mirax-254') ? await ensureMirax(join(tesseraDataDir(), 'bench')) : '';
  const work = mkdtempSync(join(tmpdir(), 'tessera-tile-bench-'));
  console.log(`tiles bench: ${count} seeded requests per case, JPEG q75; load average ${loadavg()[0].toFixed(1)} at start`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}`);
  console.log(`JPEG tiles decoded by ${jpegDecoderDescription()} (TESSERA_JPEG_FFI=0: the binding)`);
  console.log(
    `Tessera: server caches, warmUp() at open (${process.env.TILE_BENCH_WARMUP ?? 'await'}), encoded-tile cache off ("cold") or on ("enc cache"); OpenSlide 3.4.1 (python3-openslide 1.2): 1 in flight`,
  );
  if (baseline) console.log(`"base" rows: Tessera at ${baseline}, same requests, same run`);
  console.log('');
  console.log('slide      layout pattern engine                   tiles/s   p50 ms   p99 ms  CPU ms  RSS MB  vs OpenSlide  passthru  decodes  warm-up ms');
  const cases: [string, string, string, number, number][] = [
    ['big-254', 'big TIFF', big, 254, 1],
    ['big-256', 'big TIFF', big, 256, 0],
    ['svs-254', 'small SVS', svs, 254, 1],
    ['svs-240', 'small SVS', svs, 240, 0],
    ['ndpi-254', 'NDPI', ndpi, 254, 1],
    ['mirax-254', 'MIRAX', mirax, 254, 1],
  ];
  for (const [id, label, path, ts, ov] of cases) {
    if (!wantedCases.includes(id)) continue;
    for (const pattern of wantedPatterns) {
      if (pattern === 'viewer' && label !== 'big TIFF') continue;
      const slide = await openSlide(path);
      const service = new DeepZoomTileService(slide, { tileSize: ts, overlap: ov });
      const list = pattern === 'viewer' ? viewerRequests(service.geometry, count, 12345) : tileRequests(service.geometry, count, 12345);
      await slide.close();
      const requests = join(work, `${id}-${pattern}.json`);
      writeFileSync(requests, JSON.stringify(list));
      const openslide = runOpenSlide(path, ts, ov, requests);
      const base = summary(openslide);
      const row = (engine: string, s: ReturnType<typeof summary>, r: RunFigures) =>
        console.log(
          `${label.padEnd(10)} ${`${ts}/${ov}`.padEnd(6)} ${pattern.padEnd(7)} ${engine.padEnd(23)}${fmt(s.tilesPerSecond)}${fmt(s.p50, 2)}${fmt(s.p99, 2)}${fmt(r.cpuMs ?? NaN, 0)}${fmt(s.peakRssMb, 0)}    ${fmt(s.tilesPerSecond / base.tilesPerSecond, 1)}×  ${String((r as TesseraFigures).passthrough ?? '').padStart(8)} ${String((r as TesseraFigures).decodes ?? '').padStart(8)} ${(r as TesseraFigures).warmUpMs === undefined ? '' : fmt((r as TesseraFigures).warmUpMs!, 0)}`,
        );
      row('OpenSlide', base, openslide);
      const runs: [string, string, number, Mode][] = [];
      for (const [tag, root] of baseline ? [['base', baseline], ['new', here]] : [['', here]]) {
        for (const n of [inFlight, 1]) runs.push([`${tag} ${n} in flight cold`.trim(), root, n, 'cold']);
      }
      runs.push([`${baseline ? 'new ' : ''}${inFlight} in flight enc cache`, here, inFlight, 'server']);
      for (const [name, root, n, mode] of runs) {
        const r = runTessera(root, path, ts, ov, requests, n, mode);
        row(name, summary(r), r);
      }
    }
  }
}

if (process.argv[2] === '--worker') {
  const [, , , slide, ts, ov, requests, inFlight, mode] = process.argv;
  await tesseraWorker(slide, Number(ts), Number(ov), requests, Number(inFlight), mode === 'server' ? 'server' : 'cold');
} else {
  await main();
}
