import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepZoomLayout } from './default-slide-backend.js';

const level = (downsample: number, tile = 256) => ({ width: Math.ceil(40000 / downsample), height: Math.ceil(30000 / downsample), downsample, tileWidth: tile, tileHeight: tile });

test('native layout: the stored tile size, no overlap, when stored levels are power-of-2 downsamples of one tile size', () => {
  assert.deepEqual(deepZoomLayout([level(1), level(2.0003), level(4.0006), level(16.003)]), { tileSize: 256, overlap: 0 });
  assert.deepEqual(deepZoomLayout([level(1, 240)]), { tileSize: 240, overlap: 0 });
});

test("OpenSlide's 254/1 otherwise, and whenever asked for", () => {
  assert.deepEqual(deepZoomLayout([level(1), level(3)]), { tileSize: 254, overlap: 1 }, 'non power-of-2 level');
  assert.deepEqual(deepZoomLayout([level(1), level(4, 512)]), { tileSize: 254, overlap: 1 }, 'mixed tile sizes');
  assert.deepEqual(deepZoomLayout([{ ...level(1), tileHeight: 16 }]), { tileSize: 254, overlap: 1 }, 'strips');
  assert.deepEqual(deepZoomLayout([level(1, 4096)]), { tileSize: 254, overlap: 1 }, 'huge tiles');
  assert.deepEqual(deepZoomLayout([level(1), level(2)], 'openslide'), { tileSize: 254, overlap: 1 });
});
