import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteLruCache } from './byte-lru-cache.js';

const cacheOf = (capacity: number) => new ByteLruCache<string, Buffer>(capacity, (b) => b.length);

test('the cache evicts least recently used values beyond its byte capacity', () => {
  const cache = cacheOf(1000);
  cache.set('a', Buffer.alloc(400));
  cache.set('b', Buffer.alloc(400));
  assert.ok(cache.get('a')); // a is now the most recent
  cache.set('c', Buffer.alloc(400));
  assert.equal(cache.get('b'), undefined);
  assert.ok(cache.get('a') && cache.get('c'));
  assert.equal(cache.bytes, 800);
  assert.equal(cache.size, 2);
  cache.set('huge', Buffer.alloc(4000)); // larger than the whole cache: not kept
  assert.equal(cache.get('huge'), undefined);
  assert.equal(cache.bytes, 800);
});

test('concurrent loads of one key share a single load; failures are not cached; hits are counted', async () => {
  const cache = cacheOf(1 << 20);
  let loads = 0;
  const load = async (): Promise<Buffer> => {
    loads++;
    return Buffer.alloc(16);
  };
  const [x, y] = await Promise.all([cache.getOrLoad('k', load), cache.getOrLoad('k', load)]);
  assert.equal(loads, 1);
  assert.equal(x, y);
  assert.equal(cache.hits, 0);
  assert.equal(await cache.getOrLoad('k', load), x);
  assert.equal(cache.hits, 1);
  await assert.rejects(cache.getOrLoad('bad', () => Promise.reject(new Error('boom'))));
  assert.equal(await cache.getOrLoad('bad', load).then(() => 'ok'), 'ok');
});

test('results that `keep` rejects are returned but not cached', async () => {
  const cache = cacheOf(1 << 20);
  let loads = 0;
  const load = async (): Promise<Buffer | null> => {
    loads++;
    return null;
  };
  const isBuffer = (r: Buffer | null): r is Buffer => r !== null;
  assert.equal(await cache.getOrLoad('k', load, isBuffer), null);
  assert.equal(await cache.getOrLoad('k', load, isBuffer), null);
  assert.equal(loads, 2);
  assert.equal(cache.size, 0);
});
