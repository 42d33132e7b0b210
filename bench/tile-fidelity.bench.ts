// Deep Zoom tile fidelity against OpenSlide on the tile bench's 44,400 × 32,637 pyramid (real tissue, levels
// with non-power-of-two downsamples such as 2.00003 and 64.09): per Deep Zoom level, the mean |Δ| (0–255)
// of Tessera's 254/1 tiles against DeepZoomGenerator's on sampled interior and edge tiles. Prints, never
// asserts (the suite's fidelity tests are main/tiles/deepzoom-fidelity.test.ts); issue 9's bound is 6
// where OpenSlide resamples.
//   node --import tsx bench/tile-fidelity.bench.ts        env: TILE_FIDELITY_SAMPLES=12 (interior tiles a level)
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { tesseraDataDir } from '../main/common/data-dir.js';
import { seededRandom } from '../main/common/seeded-random.js';
import { tempDir } from '../main/encoder/testing/temp-dir.js';
import { openSlide } from '../main/slide/open-slide.js';
import { shared } from '../main/testing/shared-data.js';
import { DeepZoomTileService } from '../main/tiles/deepzoom-tile-service.js';
import { ensureBigPyramid, percentile } from './tile-bench-support.js';

const samples = Number(process.env.TILE_FIDELITY_SAMPLES ?? 12);
const path = await ensureBigPyramid(shared('data', 'slides', 'CMU-1-Small-Region.svs'), join(tesseraDataDir(), 'bench'));
const slide = await openSlide(path);
const service = new DeepZoomTileService(slide, { tileSize: 254, overlap: 1, tileCacheBytes: 0 });
const rand = seededRandom(99);
// Distinct tiles: a level's interior ones at random, then its last column's and last row's middle tiles.
const requests: { level: number; col: number; row: number; where: 'interior' | 'edge' }[] = [];
for (let level = 0; level < service.levelCount; level++) {
  const { cols, rows } = service.levelTiles[level];
  const seen = new Set<string>();
  const add = (col: number, row: number, where: 'interior' | 'edge') => {
    if (seen.has(`${col}/${row}`)) return;
    seen.add(`${col}/${row}`);
    requests.push({ level, col, row, where });
  };
  if (cols > 2 && rows > 2) for (let n = 0; n < samples; n++) add(1 + Math.floor(rand() * (cols - 2)), 1 + Math.floor(rand() * (rows - 2)), 'interior');
  add(cols - 1, Math.floor(rows / 2), 'edge');
  add(Math.floor(cols / 2), rows - 1, 'edge');
}
const dir = tempDir('tile-fidelity-bench'); // removed at exit
try {
  writeFileSync(join(dir, 'requests.json'), JSON.stringify(requests.map((r) => [r.level, r.col, r.row])));
  const script = join(fileURLToPath(new URL('.', import.meta.url)), 'openslide_dz_tiles.py');
  execFileSync('/usr/bin/python3', [script, path, '254', '1', join(dir, 'requests.json'), dir]);
  const byLevel = new Map<number, { interior: number[]; edge: number[] }>();
  for (const { level, col, row, where } of requests) {
    const mine = await sharp(await service.getTile(level, col, row, 'png')).raw().toBuffer({ resolveWithObject: true });
    const theirs = await sharp(join(dir, `${level}_${col}_${row}.png`)).raw().toBuffer({ resolveWithObject: true });
    if (mine.info.width !== theirs.info.width || mine.info.height !== theirs.info.height) {
      console.log(`level ${level} tile (${col}, ${row}): ${mine.info.width}×${mine.info.height} here, ${theirs.info.width}×${theirs.info.height} in OpenSlide`);
      continue;
    }
    let sum = 0;
    for (let i = 0; i < theirs.data.length; i++) sum += Math.abs(mine.data[i] - theirs.data[i]);
    const entry = byLevel.get(level) ?? { interior: [], edge: [] };
    entry[where].push(sum / theirs.data.length);
    byLevel.set(level, entry);
  }
  const stats = (v: number[]) => {
    if (v.length === 0) return ''.padEnd(30);
    const s = [...v].sort((a, b) => a - b);
    return `${String(s.length).padStart(3)} ${percentile(s, 50).toFixed(2).padStart(6)} ${s[s.length - 1].toFixed(2).padStart(6)} ${String(s.filter((x) => x > 6).length).padStart(6)}    `;
  };
  console.log(`tile fidelity against OpenSlide 3.4.1, 254/1, ${path}: mean |Δ| per tile (0–255)`);
  console.log('level  source                      interior: n median  worst  over 6   edge: n median  worst  over 6');
  for (const [level, { interior, edge }] of byLevel) {
    const source = service.levelSources[level];
    const label = source.kind === 'derived' ? 'derived' : `${source.kind} from ${source.slideLevel}${source.kind === 'resampled' ? ` at ${source.scale.toFixed(4)}×` : ''}`;
    console.log(`${String(level).padStart(5)}  ${label.padEnd(26)}  ${stats(interior)}  ${stats(edge)}`);
  }
} finally {
  await slide.close();
}
