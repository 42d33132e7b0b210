// Worker entry: exact cosine top-k off the main thread (see search-in-worker.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { topKCosine, type CosineSearchInput } from './cosine-search.js';

const input = workerData as CosineSearchInput;
try {
  const t0 = performance.now();
  const hits = topKCosine(input);
  parentPort!.postMessage({ ok: true, hits, ms: performance.now() - t0 }, [hits.rows.buffer, hits.scores.buffer] as ArrayBuffer[]);
} catch (err) {
  parentPort!.postMessage({ ok: false, message: (err as Error).message });
}
