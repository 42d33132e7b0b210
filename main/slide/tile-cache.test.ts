import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TileCache } from './tile-cache.js';
import type { RgbaImage } from './codecs/rgba.js';

const tile = (bytes: number): RgbaImage => ({ data: Buffer.alloc(bytes), width: bytes / 4, height: 1, channels: 4 });

test('the tile cache evicts least recently used tiles beyond its byte capacity', () => {
  const cache = new TileCache(1000);
  cache.set('a', tile(400));
  cache.set('b', tile(400));
  assert.ok(cache.get('a')); // a is now the most recent
  cache.set('c', tile(400));
  assert.equal(cache.get('b'), undefined);
  assert.ok(cache.get('a') && cache.get('c'));
  assert.equal(cache.size, 800);
  cache.set('huge', tile(4000)); // larger than the whole cache: not kept
  assert.equal(cache.get('huge'), undefined);
});

test('concurrent loads of one tile share a single decode; failures are not cached', async () => {
  const cache = new TileCache(1 << 20);
  let loads = 0;
  const load = async (): Promise<RgbaImage> => {
    loads++;
    return tile(16);
  };
  const [x, y] = await Promise.all([cache.getOrLoad('k', load), cache.getOrLoad('k', load)]);
  assert.equal(loads, 1);
  assert.equal(x, y);
  await assert.rejects(cache.getOrLoad('bad', () => Promise.reject(new Error('boom'))));
  assert.equal(await cache.getOrLoad('bad', load).then(() => 'ok'), 'ok');
});
