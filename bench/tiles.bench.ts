// Tile-serving throughput, Tessera vs OpenSlide's DeepZoomGenerator, on the same seeded requests.
//   node --import tsx bench/tiles.bench.ts            (env: TILE_BENCH_REQUESTS=600, TILE_BENCH_IN_FLIGHT=4)
// Slides: a 44,400 × 32,637 9-level JPEG pyramid made from CMU-1-Small-Region (built once into the
// Tessera data dir), and the one-level CMU-1-Small-Region.svs itself. Layouts: 254/1 (OpenSlide's
// default) and native-aligned (tile = stored tile, overlap 0: enables passthrough).
// Each measurement runs in its own process (own caches, own peak RSS). Every request is a cold
// encode for Tessera (encoded-tile cache off); OpenSlide serves one request at a time (Python).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { openSlide } from '../main/slide/open-slide.js';
import { tesseraDataDir } from '../main/sample/sample-slide.js';
import { DeepZoomTileService } from '../main/tiles/deepzoom-tile-service.js';
import { shared } from '../main/testing/shared-data.js';
import { ensureBigPyramid, summary, tileRequests, type RunFigures } from './tile-bench-support.js';

const self = fileURLToPath(import.meta.url);
const python = '/usr/bin/python3';

async function tesseraWorker(slidePath: string, tileSize: number, overlap: number, requestsPath: string, inFlight: number): Promise<void> {
  sharp.cache(false);
  sharp.concurrency(Number(process.env.TILE_BENCH_SHARP_THREADS ?? 1));
  const requests = JSON.parse(readFileSync(requestsPath, 'utf8')) as [number, number, number][];
  const slide = await openSlide(slidePath);
  const service = new DeepZoomTileService(slide, { tileSize, overlap, tileCacheBytes: 0 });
  const timesMs: number[] = [];
  let next = 0;
  const start = performance.now();
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
  const figures: RunFigures & { passthrough: number } = {
    wallSeconds,
    timesMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    passthrough: service.stats().passthroughTiles,
  };
  process.stdout.write(JSON.stringify(figures));
  await slide.close();
}

function runTessera(slide: string, ts: number, ov: number, requests: string, inFlight: number): RunFigures & { passthrough: number } {
  const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--worker', slide, String(ts), String(ov), requests, String(inFlight)], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
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
  const svs = shared('data', 'slides', 'CMU-1-Small-Region.svs');
  process.stderr.write('preparing the 44,400 × 32,637 pyramid (first run only, about a minute)…\n');
  const big = await ensureBigPyramid(svs, join(tesseraDataDir(), 'bench'));
  const work = mkdtempSync(join(tmpdir(), 'tessera-tile-bench-'));
  console.log(`tiles bench: ${count} seeded requests per case (uniform level, then uniform tile), JPEG q75`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}`);
  console.log(`Tessera: ${inFlight} requests in flight and 1 in flight, encoded-tile cache off; OpenSlide 3.4.1 (python3-openslide 1.2): 1 in flight`);
  console.log('');
  console.log('slide        layout  engine              tiles/s   p50 ms   p99 ms  peak RSS MB  vs OpenSlide  passthrough');
  const cases: [string, string, number, number][] = [
    ['big TIFF', big, 254, 1],
    ['big TIFF', big, 256, 0],
    ['small SVS', svs, 254, 1],
    ['small SVS', svs, 240, 0],
  ];
  for (const [label, path, ts, ov] of cases) {
    const slide = await openSlide(path);
    const service = new DeepZoomTileService(slide, { tileSize: ts, overlap: ov });
    const requests = join(work, `${label.replace(' ', '-')}-${ts}-${ov}.json`);
    writeFileSync(requests, JSON.stringify(tileRequests(service.geometry, count, 12345)));
    await slide.close();
    const base = summary(runOpenSlide(path, ts, ov, requests));
    const row = (engine: string, s: ReturnType<typeof summary>, passthrough = '') =>
      console.log(
        `${label.padEnd(12)} ${`${ts}/${ov}`.padEnd(7)} ${engine.padEnd(18)}${fmt(s.tilesPerSecond)}${fmt(s.p50, 2)}${fmt(s.p99, 2)}${fmt(s.peakRssMb, 0)}     ${fmt(s.tilesPerSecond / base.tilesPerSecond, 1)}×  ${passthrough}`,
      );
    row('OpenSlide', base);
    for (const n of [inFlight, 1]) {
      const r = runTessera(path, ts, ov, requests, n);
      row(`Tessera ${n} in flight`, summary(r), `${r.passthrough}/${count}`);
    }
  }
}

if (process.argv[2] === '--worker') {
  const [, , , slide, ts, ov, requests, inFlight] = process.argv;
  await tesseraWorker(slide, Number(ts), Number(ov), requests, Number(inFlight));
} else {
  await main();
}
