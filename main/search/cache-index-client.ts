// The main thread's side of cache-index-worker.ts: one worker for the process, started on the first
// whole-cache search, requests answered in order. It does not keep the process alive while idle.
import { Worker } from 'node:worker_threads';
import type { CacheHit, CacheIndexOptions, UpdateReport } from './cache-index.js';
import type { CacheIndexRequest } from './cache-index-worker.js';

type Reply = { id: number; ok: true; report: UpdateReport; hits: CacheHit[] } | { id: number; ok: false; message: string };

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, { resolve: (r: { report: UpdateReport; hits: CacheHit[] }) => void; reject: (e: Error) => void }>();

function start(): Worker {
  // Under tsx (dev, tests) this module is .ts and so is the worker: a one-line bootstrap registers tsx first
  // (Node 20 does not apply `--import tsx` to a worker's entry), as search-in-worker.ts does.
  const isTs = import.meta.url.endsWith('.ts');
  const url = new URL(`./cache-index-worker.${isTs ? 'ts' : 'js'}`, import.meta.url);
  const w = isTs ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true }) : new Worker(url);
  w.unref();
  w.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    if (m.ok) p.resolve({ report: m.report, hits: m.hits });
    else p.reject(new Error(m.message));
  });
  const fail = (err: Error) => {
    worker = undefined;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  w.on('error', fail);
  w.on('exit', (code) => fail(new Error(`the search index worker exited with code ${code}`)));
  return w;
}

/** Brings the index up to date with the cache, then its k best hits for `query` (the query's own patches left out). */
export function searchCacheIndex(options: CacheIndexOptions, query: Float32Array, k: number, own: CacheIndexRequest['own']): Promise<{ report: UpdateReport; hits: CacheHit[] }> {
  worker ??= start();
  const w = worker;
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    w.ref(); // a request in flight keeps the process alive until it is answered
    w.postMessage({ id, options, query, k, own } satisfies CacheIndexRequest);
  });
}
