// One pixel path per slide: a mixed workload over one region — the viewer's Deep Zoom tiles (OpenSlide's
// 254/1 layout, so every tile is cut from decoded stored tiles: full resolution and the next level down) and
// the encoder's patches of the same region at 0.5 and 1 µm/px — read through one slide handle (one reader,
// one decoded-tile cache) against the same workload on separate readers per consumer (the tile service
// and the patch reader each with its own cache, as the old parallel decoders had). Prints stored-tile
// decodes per distinct stored tile (target 1.0 on the shared handle) and wall / CPU time.
//   node --import tsx bench/pixel-path.bench.ts      (needs ../shared; about a minute)
// env: PIXEL_PATH_REGION=3072 (side of the level-0 region, px), PIXEL_PATH_ROUNDS=2.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { tesseraDataDir } from '../main/common/data-dir.js';
import { PatchReader } from '../main/encoder/patch-reader.js';
import { cellsInRect, patchGrid, patchOrigin, slideScale } from '../main/encoder/patch-grid.js';
import { openSlide } from '../main/slide/open-slide.js';
import type { SlideReader } from '../main/slide/slide-reader.js';
import { hasShared, shared } from '../main/testing/shared-data.js';
import { DeepZoomTileService } from '../main/tiles/index.js';
import { ensureBigPyramid } from './tile-bench-support.js';

interface Figures {
  decodes: number;
  distinct: number;
  wallMs: number;
  cpuMs: number;
  tiles: number;
  patches: number;
}

const side = Number(process.env.PIXEL_PATH_REGION ?? 3072);
const rounds = Number(process.env.PIXEL_PATH_ROUNDS ?? 2);

/** The workload: Deep Zoom tiles of the region at the two finest levels, then its patches at 0.5 and 1 µm/px. */
async function workload(tileReader: SlideReader, patchReader: SlideReader, region: { x: number; y: number }): Promise<{ tiles: number; patches: number }> {
  const service = new DeepZoomTileService(tileReader, { tileSize: 254, overlap: 1, tileCacheBytes: 0 });
  let tiles = 0;
  for (const back of [0, 1]) {
    const level = service.levelCount - 1 - back;
    const f = 2 ** back;
    const c0 = Math.floor(region.x / f / 254);
    const r0 = Math.floor(region.y / f / 254);
    const c1 = Math.ceil((region.x + side) / f / 254);
    const r1 = Math.ceil((region.y + side) / f / 254);
    const jobs: Promise<Buffer>[] = [];
    for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) jobs.push(service.getTile(level, c, r));
    await Promise.all(jobs);
    tiles += jobs.length;
  }
  const l0 = patchReader.levels[0];
  const scale = slideScale(patchReader, null);
  let patches = 0;
  for (const mpp of [0.5, 1]) {
    const grid = patchGrid(mpp, scale, 224, 224);
    const reader = new PatchReader(patchReader, grid);
    const cells = cellsInRect(grid, { x: region.x, y: region.y, width: side, height: side }, l0.width, l0.height);
    const coords = Int32Array.from(cells.flatMap(([i, j]) => patchOrigin(grid, i, j)));
    const out = new Uint8Array(32 * 224 * 224 * 3);
    for (let k = 0; k < coords.length; k += 64) await reader.readBatch(coords.subarray(k, k + 64), out);
    patches += coords.length / 2;
  }
  return { tiles, patches };
}

async function measure(path: string, shareHandle: boolean, region: { x: number; y: number }): Promise<Figures> {
  const distinct = new Set<string>();
  let decodes = 0;
  const onTileDecode = (level: number, col: number, row: number) => {
    decodes++;
    distinct.add(`${level}/${col}/${row}`);
  };
  const tilesSlide = await openSlide(path, { onTileDecode });
  const patchSlide = shareHandle ? tilesSlide : await openSlide(path, { onTileDecode });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const { tiles, patches } = await workload(tilesSlide, patchSlide, region);
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  await tilesSlide.close();
  if (!shareHandle) await patchSlide.close();
  return { decodes, distinct: distinct.size, wallMs, cpuMs: (c.user + c.system) / 1000, tiles, patches };
}

async function main(): Promise<void> {
  if (!hasShared) {
    console.log('pixel-path bench: ../shared is absent, nothing to measure');
    return;
  }
  sharp.cache(false);
  const path = await ensureBigPyramid(shared('data', 'slides', 'CMU-1-Small-Region.svs'), join(tesseraDataDir(), 'bench'));
  const probe = await openSlide(path);
  const l0 = probe.levels[0];
  await probe.close();
  const region = { x: Math.floor((l0.width - side) / 2 / 256) * 256 + 37, y: Math.floor((l0.height - side) / 2 / 256) * 256 + 91 };
  console.log(`pixel-path bench: ${l0.width} × ${l0.height} pyramid, region ${side}² px at (${region.x}, ${region.y}); load average ${loadavg()[0].toFixed(1)} at start`);
  const fmt = (f: Figures) =>
    `${f.decodes} decodes of ${f.distinct} distinct stored tiles = ${(f.decodes / f.distinct).toFixed(2)} per tile; ${f.wallMs.toFixed(0)} ms wall, ${f.cpuMs.toFixed(0)} CPU-ms (${f.tiles} tiles + ${f.patches} patches)`;
  for (let round = 1; round <= rounds; round++) {
    // Alternate the order so neither layout always runs on a warm page cache.
    const order = round % 2 ? [true, false] : [false, true];
    const got = new Map<boolean, Figures>();
    for (const share of order) got.set(share, await measure(path, share, region));
    const one = got.get(true)!;
    const two = got.get(false)!;
    console.log(`round ${round}:`);
    console.log(`  one handle (tiles + patches share one cache): ${fmt(one)}`);
    console.log(`  a reader per consumer (separate caches):      ${fmt(two)}`);
    console.log(`  one handle / separate: ${(one.wallMs / two.wallMs).toFixed(2)}× wall, ${(one.cpuMs / two.cpuMs).toFixed(2)}× CPU, ${(one.decodes / two.decodes).toFixed(2)}× decodes`);
  }
  console.log(`load average ${loadavg()[0].toFixed(1)} at the end`);
}

await main();
