// Similar-region search speed. (1) Exact cosine search latency over synthetic embeddings: 10^5 patches × 384
// and × 1,536 (ViT-S / ViT-g widths), on this thread and through the search worker (shared matrix), plain and
// standardised cosine. (2) The whole-cache ANN index: usearch (the dependency) against hnswlib-node (a
// devDependency for this comparison only; its install script is denied, so on a clean clone it may not load,
// and this says so): build time (wall and CPU), memory, query latency and recall@10 against the exact top 10,
// on clustered synthetic vectors (a mixture of Gaussians, as patch embeddings cluster by tissue type).
// Sizes: SEARCH_BENCH_N (exact, default 10^5), SEARCH_BENCH_ANN_N (comma list, default 100000; e.g.
// 1000000,10000000), SEARCH_BENCH_HNSWLIB_MAX (largest size hnswlib-node is built at, default 200000: it adds
// one point per call from JS on one thread), SEARCH_BENCH_ANN_LIBS (default usearch-f32,usearch-f16,usearch-i8,hnswlib). Prints figures and ratios; the exact scan is the same-run baseline.
// (3) The whole-cache index as the app runs it (CacheIndex over real EmbeddingStore files, SEARCH_BENCH_CACHE_N
// patches, default 100000): build, catch-up, reload, query incl. the exact re-scoring, recall@10 against the
// exact standardised search. (4) "Suggest what to label": on the built-in sample slide, the probe retrain on
// cached embeddings after one accepted suggestion, the heatmap after it, and the suggestions themselves
// (SEARCH_BENCH_PROBE=0 skips it).
import { createRequire } from 'node:module';
import { availableParallelism, loadavg } from 'node:os';
import { Index, MetricKind, ScalarKind } from 'usearch';
import { seededRandom } from '../main/common/seeded-random.js';
import { topKCosine } from '../main/search/cosine-search.js';
import { searchInWorker } from '../main/search/search-in-worker.js';
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { CacheIndex, defaultAnnSettings } from '../main/search/cache-index.js';
import { EmbeddingStore } from '../main/encoder/embedding-store.js';
import { tempDir } from '../main/encoder/testing/temp-dir.js';
import { SAMPLE_SLIDE, ensureSampleSlide } from '../main/sample/sample-slide.js';
import { AnalysisService } from '../main/services/analysis-service.js';
import { createAnalysisApi } from '../main/services/analysis-api.js';
import { createDefaultSlideBackend } from '../main/services/default-slide-backend.js';
import { SlideService } from '../main/services/slide-service.js';

const N = Number(process.env.SEARCH_BENCH_N ?? 100_000);
const annSizes = (process.env.SEARCH_BENCH_ANN_N ?? '100000').split(',').map(Number);
const hnswlibMax = Number(process.env.SEARCH_BENCH_HNSWLIB_MAX ?? 200_000);
const annLibs = (process.env.SEARCH_BENCH_ANN_LIBS ?? 'usearch-f32,usearch-f16,usearch-i8,hnswlib').split(',');
const K = 50;
const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, ${availableParallelism()} cores`);
for (const dim of [384, 1536]) {
  const rand = seededRandom(dim);
  const matrix = new Float32Array(new SharedArrayBuffer(N * dim * 4));
  for (let i = 0; i < matrix.length; i++) matrix[i] = rand() * 2 - 1;
  const query = matrix.slice(0, dim);
  const madds = (N * dim) / 1e6;
  for (const standardise of [false, true]) {
    topKCosine({ query, matrix, dim, k: K, standardise }); // warm-up
    const here: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      topKCosine({ query, matrix, dim, k: K, standardise });
      here.push(performance.now() - t);
    }
    const inWorker: number[] = [];
    const roundTrip: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      const hits = await searchInWorker({ query, matrix, dim, k: K, standardise });
      roundTrip.push(performance.now() - t);
      inWorker.push(hits.searchMs);
    }
    const ms = median(here);
    console.log(
      `${N} × ${dim}${standardise ? ' standardised' : ' plain      '}: ${ms.toFixed(1)} ms on this thread (${(madds / ms).toFixed(2)} G multiply-adds/s), ` +
        `${median(inWorker).toFixed(1)} ms in the worker, ${median(roundTrip).toFixed(1)} ms round trip incl. worker start`,
    );
  }
}

// ---- ANN index: usearch vs hnswlib-node ----
interface AnnLib {
  name: string;
  build(data: Float32Array, n: number, dim: number): void;
  query(q: Float32Array, k: number): number[];
}

function usearchLib(quantization: 'f32' | 'f16' | 'i8'): AnnLib {
  let index: Index;
  const s = defaultAnnSettings;
  return {
    name: `usearch ${quantization} (M ${s.connectivity}, ef ${s.expansionAdd}/${s.expansionSearch}, ${availableParallelism()} threads)`,
    build(data, n, dim) {
      index = new Index({ dimensions: dim, metric: MetricKind.Cos, quantization: quantization as ScalarKind, connectivity: s.connectivity, expansion_add: s.expansionAdd, expansion_search: s.expansionSearch, multi: false });
      const step = 50_000; // batches, as the cache index adds chunk by chunk
      for (let a = 0; a < n; a += step) {
        const b = Math.min(n, a + step);
        const keys = new BigUint64Array(b - a);
        for (let i = 0; i < b - a; i++) keys[i] = BigInt(a + i);
        index.add(keys, data.subarray(a * dim, b * dim), availableParallelism());
      }
    },
    query(q, k) {
      return Array.from(index.search(q, k, 1).keys, Number);
    },
  };
}

interface HnswIndex {
  initIndex(opts: { maxElements: number; m?: number; efConstruction?: number; randomSeed?: number }): void;
  addPoint(point: number[] | Float32Array, label: number): void;
  setEf(ef: number): void;
  searchKnn(q: number[] | Float32Array, k: number): { neighbors: number[] };
}

function hnswlibLib(): AnnLib | string {
  try {
    const { HierarchicalNSW } = createRequire(import.meta.url)('hnswlib-node') as { HierarchicalNSW: new (space: string, dim: number) => HnswIndex };
    let index: HnswIndex;
    const s = defaultAnnSettings;
    return {
      name: `hnswlib-node f32 (M ${s.connectivity}, ef ${s.expansionAdd}/${s.expansionSearch}, 1 thread)`,
      build(data, n, dim) {
        index = new HierarchicalNSW('cosine', dim);
        index.initIndex({ maxElements: n, m: s.connectivity, efConstruction: s.expansionAdd, randomSeed: 1 });
        for (let i = 0; i < n; i++) index.addPoint(Array.from(data.subarray(i * dim, (i + 1) * dim)), i);
        index.setEf(s.expansionSearch);
      },
      query(q, k) {
        return index.searchKnn(Array.from(q), k).neighbors;
      },
    };
  } catch (err) {
    return `hnswlib-node does not load here (${(err as Error).message.split('\n')[0]}): its install script is denied in package.json's allowScripts, so no native addon was built; compared usearch alone`;
  }
}

/** n clustered vectors: 2,000 centres, each vector a centre plus Gaussian-ish noise of comparable size, plus a shared offset. */
function clustered(n: number, dim: number, seed: number): Float32Array {
  const rand = seededRandom(seed);
  const centres = new Float32Array(2000 * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = rand() * 2 - 1;
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(rand() * 2000) * dim;
    for (let j = 0; j < dim; j++) out[i * dim + j] = 0.5 + centres[c + j] + (rand() + rand() + rand() - 1.5) * 0.8;
  }
  return out;
}

const dim = 384;
const hnsw = hnswlibLib();
/** The largest size usearch f16 was measured at, for the 10^7 extrapolation. */
let largest: { n: number; exactMs: number; queryMs: number; buildCpuS: number } | undefined;
if (typeof hnsw === 'string') console.log(hnsw);
for (const n of annSizes) {
  const bytes = n * dim * 4;
  if (bytes > 0.6 * 24 * 2 ** 30) {
    console.log(`${n} × ${dim}: ${mb(bytes)} of float32 vectors alone does not fit beside an index on this 24 GiB machine; not run (see the extrapolation below)`);
    continue;
  }
  const data = clustered(n, dim, n);
  const queries = Array.from({ length: 50 }, (_, i) => data.slice(((i * 7919) % n) * dim, (((i * 7919) % n) + 1) * dim).map((v, j) => v + ((i + j) % 5) * 0.01));
  // Baseline: the exact top 10 by the exact path (plain cosine: the libraries index raw vectors here).
  const exactMs: number[] = [];
  const truth = queries.map((q) => {
    const t = performance.now();
    const hits = topKCosine({ query: q, matrix: data, dim, k: 10 });
    exactMs.push(performance.now() - t);
    return new Set(hits.rows);
  });
  console.log(`${n} × ${dim}: exact scan ${median(exactMs).toFixed(1)} ms per query (baseline)`);
  const libs: AnnLib[] = (['f32', 'f16', 'i8'] as const).filter((q) => annLibs.includes(`usearch-${q}`)).map(usearchLib);
  if (typeof hnsw !== 'string' && n <= hnswlibMax && annLibs.includes('hnswlib')) libs.push(hnsw);
  for (const lib of libs) {
    const rss0 = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    lib.build(data, n, dim);
    const buildS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const rss = process.memoryUsage().rss - rss0;
    lib.query(queries[0], 10);
    const qms: number[] = [];
    let recall = 0;
    for (let i = 0; i < queries.length; i++) {
      const t = performance.now();
      const got = lib.query(queries[i], 10);
      qms.push(performance.now() - t);
      recall += got.filter((r) => truth[i].has(r)).length / 10;
    }
    recall /= queries.length;
    const q = median(qms);
    if (lib.name.startsWith('usearch f16')) largest = { n, exactMs: median(exactMs), queryMs: q, buildCpuS: (cpu.user + cpu.system) / 1e6 };
    console.log(
      `  ${lib.name}: build ${buildS.toFixed(1)} s (${((cpu.user + cpu.system) / 1e6).toFixed(1)} CPU-s, ${(n / buildS).toFixed(0)} vectors/s), +${mb(rss)} RSS, ` +
        `query ${q.toFixed(2)} ms (${(median(exactMs) / q).toFixed(0)}× faster than exact), recall@10 ${recall.toFixed(3)}${recall >= 0.95 ? '' : ' (below 0.95)'}`,
    );
  }
}
// 10^7 is not built here (15 GiB of float32 alone); extrapolated from the largest size measured above.
if (largest) {
  const { n, exactMs, queryMs, buildCpuS } = largest;
  const growth = (1e7 / n) * (Math.log(1e7) / Math.log(n));
  console.log(
    `EXTRAPOLATED, not measured, 10^7 × ${dim} from ${n}: exact scan ≈ ${((exactMs * 1e7) / n / 1000).toFixed(1)} s per query (linear); ` +
      `usearch f16 query ≈ ${(queryMs * 1.3).toFixed(2)} ms (HNSW ~log n: ×1.2–1.5); build ≈ ${((buildCpuS * growth) / 3600).toFixed(1)} CPU-hours (n log n: ×${growth.toFixed(1)}); ` +
      `memory ≈ ${((1e7 * dim * 2) / 2 ** 30).toFixed(1)} GiB of f16 vectors + ≈ ${((1e7 * defaultAnnSettings.connectivity * 2 * 4) / 2 ** 30).toFixed(1)} GiB of graph (fits in 24 GiB; a float32 exact scan does not)`,
  );
}

// ---- (3) the whole-cache index over real store files ----
const cacheN = Number(process.env.SEARCH_BENCH_CACHE_N ?? 100_000);
{
  const data = tempDir('search-bench');
  const cacheDir = join(data, 'embeddings');
  const key = { modelId: 'bench', modelSha256: 'x', mpp: 0.5, dim };
  const slides = 20;
  const per = Math.floor(cacheN / slides);
  const all = clustered(per * slides, dim, 99);
  const fps = Array.from({ length: slides }, (_, i) => `benchslide${String(i).padStart(4, '0')}`);
  for (let s = 0; s < slides; s++) {
    const store = await EmbeddingStore.open(cacheDir, { slideFingerprint: fps[s], ...key, patchSize: 224, level0Size: 448 });
    for (let a = 0; a < per; a += 4096) {
      const b = Math.min(per, a + 4096);
      const coords = Int32Array.from({ length: 2 * (b - a) }, (_, k) => (k & 1 ? Math.floor((a + (k >> 1)) / 1000) : (a + (k >> 1)) % 1000) * 448);
      await store.append(coords, all.subarray((s * per + a) * dim, (s * per + b) * dim));
    }
    await store.close();
  }
  const indexDir = join(data, 'search-index');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const index = new CacheIndex({ cacheDir, indexDir, key });
  const built = await index.update();
  const buildS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const qs = Array.from({ length: 30 }, (_, i) => all.slice(((i * 7919) % (per * slides)) * dim, ((i * 7919) % (per * slides) + 1) * dim));
  const exactMs: number[] = [];
  const truth = qs.map((q) => {
    const t = performance.now();
    const hits = topKCosine({ query: q, matrix: all, dim, k: 10, standardise: true });
    exactMs.push(performance.now() - t);
    return new Set(Array.from(hits.rows, (r) => `${fps[Math.floor(r / per)]}/${(r % per) % 1000},${Math.floor((r % per) / 1000)}`));
  });
  await index.search(qs[0], 10);
  const annMs: number[] = [];
  let recall = 0;
  for (let i = 0; i < qs.length; i++) {
    const t = performance.now();
    const got = await index.search(qs[i], 10);
    annMs.push(performance.now() - t);
    recall += got.filter((h) => truth[i].has(`${h.slideFingerprint}/${h.x / 448},${h.y / 448}`)).length / 10;
  }
  recall /= qs.length;
  const t1 = performance.now();
  const reloaded = new CacheIndex({ cacheDir, indexDir, key });
  await reloaded.update();
  const reloadMs = performance.now() - t1;
  console.log(
    `cache index (usearch ${defaultAnnSettings.quantization}) over ${built.size} patches of ${slides} stores × ${dim}: built in ${buildS.toFixed(1)} s (${((cpu.user + cpu.system) / 1e6).toFixed(1)} CPU-s), ` +
      `reloaded + checksummed in ${reloadMs.toFixed(0)} ms; query incl. exact re-scoring ${median(annMs).toFixed(2)} ms vs exact standardised scan ${median(exactMs).toFixed(1)} ms ` +
      `(${(median(exactMs) / median(annMs)).toFixed(0)}×), recall@10 ${recall.toFixed(3)}`,
  );
  await rm(data, { recursive: true, force: true });
}

// ---- (4) suggest what to label: the retrain loop on the sample slide ----
if (process.env.SEARCH_BENCH_PROBE !== '0') {
  const data = tempDir('search-bench-probe');
  process.env.TESSERA_DATA_DIR = data;
  process.env.TESSERA_EP = 'cpu';
  const slidesService = new SlideService(createDefaultSlideBackend());
  const analysis = new AnalysisService({ slides: slidesService, dataDir: data, autosaveDelayMs: 10 });
  try {
    const api = createAnalysisApi(analysis);
    const { id: slideId } = await slidesService.open(await ensureSampleSlide());
    await api.addAnnotation({ slideId, className: 'Tumour', geometry: { type: 'rectangle', x: 3900, y: 5300, width: 1300, height: 1300 } });
    await api.addAnnotation({ slideId, className: 'Normal', geometry: { type: 'rectangle', x: 7200, y: 4400, width: 1400, height: 1400 } });
    await api.addAnnotation({ slideId, className: 'Normal', geometry: { type: 'rectangle', x: 8600, y: 7000, width: 1400, height: 1400 } });
    let t = performance.now();
    const first = await api.trainProbe({ slideId });
    const firstMs = performance.now() - t;
    // The whole tissue embedded (all magnifications the probe reads), as after the tissue run.
    await api.embedAllTissue({ slideId, probeId: first.id });
    t = performance.now();
    const sugg = await api.suggestLabels({ slideId });
    const suggestMs = performance.now() - t;
    const s0 = sugg.suggestions[0];
    await api.addAnnotation({ slideId, className: s0.top.className, geometry: { type: 'rectangle', x: s0.x, y: s0.y, width: s0.size, height: s0.size } });
    const cpuT = process.cpuUsage();
    t = performance.now();
    const again = await api.trainProbe({ slideId });
    const retrainMs = performance.now() - t;
    const retrainCpu = process.cpuUsage(cpuT);
    t = performance.now();
    const raster = await api.getHeatmap({ slideId, probeId: again.id });
    const heatmapMs = performance.now() - t;
    console.log(
      `suggest on the sample (${SAMPLE_SLIDE.width}×${SAMPLE_SLIDE.height}, ${sugg.scored} patches scored): suggestions ${suggestMs.toFixed(0)} ms; ` +
        `first training ${firstMs.toFixed(0)} ms (embeds the annotated regions); after one accept, retrain on cached embeddings ${retrainMs.toFixed(0)} ms ` +
        `(${((retrainCpu.user + retrainCpu.system) / 1000).toFixed(0)} CPU-ms, ${again.patchCount} patches) + heatmap ${heatmapMs.toFixed(0)} ms (${raster.scored} cells) = ${(retrainMs + heatmapMs).toFixed(0)} ms to the redrawn heatmap`,
    );
  } finally {
    await analysis.close();
    await slidesService.closeAll();
  }
}
console.log(`load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
