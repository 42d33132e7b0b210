// Runs the exact cosine search in a worker thread, so a search never blocks the app's or the CLI's event loop.
import { Worker } from 'node:worker_threads';
import type { CosineHits, CosineSearchInput } from './cosine-search.js';

export interface WorkerHits extends CosineHits {
  /** Milliseconds the search itself took inside the worker. */
  searchMs: number;
}

/**
 * Exact top-k cosine search in a fresh worker. The matrix is copied to the worker unless `transfer` hands its
 * buffer over (then it is unusable here afterwards); a SharedArrayBuffer-backed matrix is shared, not copied.
 */
export function searchInWorker(input: CosineSearchInput, options: { transfer?: boolean; signal?: AbortSignal } = {}): Promise<WorkerHits> {
  if (options.signal?.aborted) return Promise.reject(options.signal.reason as Error);
  // Under tsx (dev, tests) this module is .ts and so is the worker; Node 20 does not apply `--import tsx` to a
  // worker's entry module, so a one-line bootstrap registers tsx, then imports it (as fit-probe-in-worker does).
  const isTs = import.meta.url.endsWith('.ts');
  const url = new URL(`./search-worker.${isTs ? 'ts' : 'js'}`, import.meta.url);
  const transferList = options.transfer && !(input.matrix.buffer instanceof SharedArrayBuffer) ? [input.matrix.buffer as ArrayBuffer] : [];
  const worker = isTs
    ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData: input, transferList })
    : new Worker(url, { workerData: input, transferList });
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      void worker.terminate();
      reject(options.signal!.reason);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => options.signal?.removeEventListener('abort', onAbort);
    worker.once('message', (m: { ok: true; hits: CosineHits; ms: number } | { ok: false; message: string }) => {
      done();
      if (m.ok) resolve({ ...m.hits, searchMs: m.ms });
      else reject(new Error(m.message));
      void worker.terminate();
    });
    worker.once('error', (e) => {
      done();
      reject(e);
    });
    worker.once('exit', (code) => {
      done();
      if (code !== 0) reject(new Error(`search worker exited with code ${code}`));
    });
  });
}
