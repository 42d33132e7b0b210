// Load on the browser host: many tile clients and some API clients at once against one host on 127.0.0.1,
// every request with the host's access token. Prints tiles/s, API calls/s, latency percentiles (p50, p99,
// max), errors, and the host's RSS over time. Loopback only, bounded: it stops by itself.
//   node --import tsx bench/host-load.bench.ts
// env: HOST_LOAD_SECONDS=20, HOST_LOAD_TILE_CLIENTS=50, HOST_LOAD_API_CLIENTS=10, HOST_LOAD_SLIDE=/path (default:
//      CMU-1-Small-Region.svs from ../shared, else the built-in sample slide).
import { existsSync } from 'node:fs';
import { seededRandom } from '../main/common/seeded-random.js';
import { startTesseraHost } from '../main/host/start-host.js';
import { shared } from '../main/testing/shared-data.js';

const SECONDS = Math.min(120, Number(process.env.HOST_LOAD_SECONDS ?? 20));
const TILE_CLIENTS = Math.min(500, Number(process.env.HOST_LOAD_TILE_CLIENTS ?? 50));
const API_CLIENTS = Math.min(100, Number(process.env.HOST_LOAD_API_CLIENTS ?? 10));
const SAMPLE_MS = 2000;

const cmu = shared('data', 'slides', 'CMU-1-Small-Region.svs');
const slidePath = process.env.HOST_LOAD_SLIDE ?? (existsSync(cmu) ? cmu : undefined);
const host = await startTesseraHost({ slides: slidePath ? [slidePath] : [], recentFile: null });
const headers = { 'x-tessera-token': host.token };
const base = host.base;
if (!base.startsWith('http://127.0.0.1:')) throw new Error(`not a loopback host: ${base}`);

const list = (await (await fetch(`${base}slides`, { headers })).json()) as { id: string; name?: string }[];
if (list.length === 0) throw new Error(`no slide opened: ${host.failures.join('; ')}`);
const id = list[0].id;
const dzi = await (await fetch(`${base}slides/${id}.dzi`, { headers })).text();
const num = (name: string): number => Number(new RegExp(`${name}="(\\d+)"`).exec(dzi)?.[1]);
const [tileSize, overlap, width, height] = [num('TileSize'), num('Overlap'), num('Width'), num('Height')];
const format = /Format="(\w+)"/.exec(dzi)?.[1] ?? 'jpeg';
const maxLevel = Math.ceil(Math.log2(Math.max(width, height)));
/** Every tile of the top 4 Deep Zoom levels: [level, col, row]. */
const tiles: [number, number, number][] = [];
for (let level = Math.max(0, maxLevel - 3); level <= maxLevel; level++) {
  const scale = 2 ** (maxLevel - level);
  const cols = Math.ceil(Math.ceil(width / scale) / tileSize);
  const rows = Math.ceil(Math.ceil(height / scale) / tileSize);
  for (let c = 0; c < cols; c++) for (let r = 0; r < rows; r++) tiles.push([level, c, r]);
}
console.log(`slide ${list[0].name ?? id}: ${width} x ${height}, tiles ${tileSize}/${overlap} ${format}, ${tiles.length} tiles in the top 4 levels`);
console.log(`${TILE_CLIENTS} tile clients + ${API_CLIENTS} API clients for ${SECONDS} s against ${base} (token on every request)`);

interface Tally {
  n: number;
  errors: number;
  bytes: number;
  ms: number[];
}
const tileTally: Tally = { n: 0, errors: 0, bytes: 0, ms: [] };
const apiTally: Tally = { n: 0, errors: 0, bytes: 0, ms: [] };
const deadline = Date.now() + SECONDS * 1000;
const t0 = Date.now();

async function timed(tally: Tally, work: () => Promise<Response>): Promise<void> {
  const start = performance.now();
  try {
    const res = await work();
    const body = await res.arrayBuffer();
    if (res.ok) tally.bytes += body.byteLength;
    else tally.errors++;
  } catch {
    tally.errors++;
  }
  tally.ms.push(performance.now() - start);
  tally.n++;
}

async function tileClient(seed: number): Promise<void> {
  const random = seededRandom(seed);
  while (Date.now() < deadline) {
    const [level, c, r] = tiles[Math.floor(random() * tiles.length)];
    await timed(tileTally, () => fetch(`${base}slides/${id}_files/${level}/${c}_${r}.${format}`, { headers }));
  }
}

const calls: [string, unknown][] = [
  ['listSlides', null],
  ['getSlideInfo', { id }],
  ['getAnnotations', { slideId: id }],
  ['getEncoderStatus', null],
  ['listRecentSlides', null],
];
async function apiClient(seed: number): Promise<void> {
  const random = seededRandom(seed);
  while (Date.now() < deadline) {
    const [method, params] = calls[Math.floor(random() * calls.length)];
    await timed(apiTally, () =>
      fetch(`${base}api/${method}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(params) }),
    );
  }
}

const mib = (b: number): string => (b / 1024 / 1024).toFixed(0);
const rss: string[] = [];
let last = { tiles: 0, api: 0, at: t0 };
const sampler = setInterval(() => {
  const now = Date.now();
  const dt = (now - last.at) / 1000;
  const m = process.memoryUsage();
  rss.push(
    `${((now - t0) / 1000).toFixed(0).padStart(4)} s  rss ${mib(m.rss).padStart(5)} MiB  heap ${mib(m.heapUsed).padStart(4)} MiB  ` +
      `tiles/s ${((tileTally.n - last.tiles) / dt).toFixed(0).padStart(6)}  api/s ${((apiTally.n - last.api) / dt).toFixed(0).padStart(6)}`,
  );
  last = { tiles: tileTally.n, api: apiTally.n, at: now };
}, SAMPLE_MS);

const rssBefore = process.memoryUsage().rss;
await Promise.all([
  ...Array.from({ length: TILE_CLIENTS }, (_, i) => tileClient(1000 + i)),
  ...Array.from({ length: API_CLIENTS }, (_, i) => apiClient(2000 + i)),
]);
clearInterval(sampler);
const elapsed = (Date.now() - t0) / 1000;

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
function row(name: string, t: Tally): string {
  const s = [...t.ms].sort((a, b) => a - b);
  return (
    `${name.padEnd(6)} ${String(t.n).padStart(8)} ${(t.n / elapsed).toFixed(0).padStart(8)} ${String(t.errors).padStart(7)} ` +
    `${percentile(s, 50).toFixed(1).padStart(8)} ${percentile(s, 99).toFixed(1).padStart(8)} ${(s.at(-1) ?? NaN).toFixed(1).padStart(8)} ${mib(t.bytes).padStart(8)}`
  );
}
console.log('\nover time (the host runs in this process):');
for (const line of rss) console.log(line);
console.log(`\n${'kind'.padEnd(6)} ${'requests'.padStart(8)} ${'per s'.padStart(8)} ${'errors'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'MiB'.padStart(8)}`);
console.log(row('tiles', tileTally));
console.log(row('api', apiTally));
console.log(`\nrss ${mib(rssBefore)} MiB before, ${mib(process.memoryUsage().rss)} MiB after, over ${elapsed.toFixed(1)} s`);
await host.close();
