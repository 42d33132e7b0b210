// Worker entry: hosts the whole-cache indexes (cache-index.ts) off the main thread. usearch's add and search
// are synchronous native calls, and a catch-up over a large cache takes minutes: here they block only this
// thread. Each index stays loaded between requests (loading and checksumming a big index is the slow part).
import { parentPort } from 'node:worker_threads';
import { CacheIndex, type CacheIndexOptions } from './cache-index.js';

export interface CacheIndexRequest {
  id: number;
  options: CacheIndexOptions;
  query: Float32Array;
  k: number;
  /** The query's own patches: its slide and "x,y" of each. */
  own: { slideFingerprint: string; patches: string[] };
}

const indexes = new Map<string, CacheIndex>();
/** Requests run one at a time: two catch-ups of one index at once would add the same records twice. */
let queue: Promise<void> = Promise.resolve();

parentPort!.on('message', (r: CacheIndexRequest) => {
  queue = queue.then(async () => {
    try {
      const key = JSON.stringify(r.options);
      let index = indexes.get(key);
      if (!index) indexes.set(key, (index = new CacheIndex(r.options)));
      const report = await index.update();
      const own = new Set(r.own.patches);
      const hits = await index.search(r.query, r.k, (fp, x, y) => fp === r.own.slideFingerprint && own.has(`${x},${y}`), own.size);
      parentPort!.postMessage({ id: r.id, ok: true, report, hits });
    } catch (err) {
      parentPort!.postMessage({ id: r.id, ok: false, message: (err as Error).message });
    }
  });
});
