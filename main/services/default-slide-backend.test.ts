import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchReader } from '../encoder/patch-reader.js';
import { patchGrid, slideScale } from '../encoder/patch-grid.js';
import { TiledSlide } from '../slide/tiled-slide.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { createDefaultSlideBackend, deepZoomLayout } from './default-slide-backend.js';
import { SlideService } from './slide-service.js';

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

test('an open slide lends its reader (one handle: viewer tiles and encoder patches share its decoded tiles) until it is closed', { skip: skipWithoutShared }, async () => {
  const slides = new SlideService(createDefaultSlideBackend({ tileLayout: 'openslide' }));
  try {
    const info = await slides.open(shared('data', 'slides', 'CMU-1-Small-Region.svs'));
    const lent = slides.readerFor(info.path);
    assert.ok(lent && lent.reader instanceof TiledSlide);
    assert.equal(lent.fingerprint, await slides.fingerprint(info.id));
    await slides.tile(info.id, info.deepZoom.levelCount - 1, 1, 1, 'jpeg');
    const decodes = lent.reader.handle.stats().decodes;
    assert.ok(decodes > 0);
    // The patch reader finds the tile the viewer decoded: the patch at (254, 254) lies in stored tile (1, 1) (240 px tiles).
    const grid = patchGrid(0.5, slideScale(lent.reader));
    await new PatchReader(lent.reader, grid).read(254, 254, new Uint8Array(224 * 224 * 3));
    assert.equal(lent.reader.handle.stats().decodes, decodes);
    assert.equal(slides.readerFor('/no/such/slide.svs'), undefined);
    await slides.close(info.id);
    assert.equal(slides.readerFor(info.path), undefined);
  } finally {
    await slides.closeAll();
  }
});
