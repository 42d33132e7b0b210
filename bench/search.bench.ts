// Exact cosine search latency over synthetic embeddings: 10^5 patches × 384 and × 1,536 (ViT-S / ViT-g widths),
// on this thread and through the search worker (shared matrix), plain and standardised cosine. Prints figures.
import { seededRandom } from '../main/common/seeded-random.js';
import { topKCosine } from '../main/search/cosine-search.js';
import { searchInWorker } from '../main/search/search-in-worker.js';

const N = Number(process.env.SEARCH_BENCH_N ?? 100_000);
const K = 50;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

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
