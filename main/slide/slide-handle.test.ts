import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchReader } from '../encoder/patch-reader.js';
import { cellsInRect, patchGrid, patchOrigin, slideScale } from '../encoder/patch-grid.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { DeepZoomTileService } from '../tiles/deepzoom-tile-service.js';
import { InMemorySlide } from '../tiles/testing/in-memory-slide.js';
import { openSlide } from './open-slide.js';
import { boxShrink, handleOf, SlideHandle, type DecodedTile } from './slide-handle.js';
import { isSlideError } from './slide-errors.js';
import { TiledSlide } from './tiled-slide.js';
import { decodeJpeg } from './codecs/jpeg.js';
import { decodeWithLibjpegTurbo, libjpegTurboScales } from './codecs/libjpeg-turbo.js';

const cmu = shared('data', 'slides', 'CMU-1-Small-Region.svs');

test('viewer tiles, encoder patches at two magnifications and read_region over one region decode each stored tile once', { skip: skipWithoutShared }, async () => {
  const decoded: string[] = [];
  const slide = await openSlide(cmu, { onTileDecode: (level, col, row) => decoded.push(`${level}/${col}/${row}`) });
  try {
    assert.ok(slide instanceof TiledSlide);
    const region = { x: 480, y: 720, width: 960, height: 960 };
    // OpenSlide's 254/1 layout: every full-resolution tile is cut from (up to 4) decoded stored tiles.
    const tiles = new DeepZoomTileService(slide, { tileSize: 254, overlap: 1, tileCacheBytes: 0 });
    const top = tiles.levelCount - 1;
    for (let row = Math.floor(region.y / 254); row * 254 < region.y + region.height; row++) {
      for (let col = Math.floor(region.x / 254); col * 254 < region.x + region.width; col++) await tiles.getTile(top, col, row);
    }
    const afterTiles = decoded.length;
    assert.ok(afterTiles > 0);
    const scale = slideScale(slide);
    const l0 = slide.levels[0];
    for (const mpp of [0.5, 1]) {
      const grid = patchGrid(mpp, scale);
      const coords = Int32Array.from(cellsInRect(grid, region, l0.width, l0.height).flatMap(([i, j]) => patchOrigin(grid, i, j)));
      await new PatchReader(slide, grid).readBatch(coords, new Uint8Array((coords.length / 2) * 224 * 224 * 3));
    }
    await slide.readRegion(0, region.x, region.y, region.width, region.height);
    // One decode per distinct stored tile, whoever asked (the patches reach a little beyond the tiles' area).
    assert.equal(new Set(decoded).size, decoded.length, 'a stored tile was decoded twice');
    const stats = slide.handle.stats();
    assert.equal(stats.decodes, decoded.length);
    assert.equal(stats.decodesByLevel[0], decoded.length);
    assert.ok(stats.hits > 0);
    assert.equal(tiles.stats().storedTileDecodes, stats.decodes);
  } finally {
    await slide.close();
  }
});

test('regions composed from the RGB tiles of a JPEG level equal the driver\'s RGBA decode; reductions are box averages', { skip: skipWithoutShared }, async () => {
  const slide = await openSlide(cmu);
  try {
    assert.ok(slide instanceof TiledSlide);
    const tile = await slide.handle.tile(0, 2, 3);
    assert.equal(tile.channels, 3);
    const { tileWidth: tw, tileHeight: th } = slide.levels[0];
    // The region read through the cache (whole-pixel position: plain copies) is the driver's RGBA tile.
    const region = await slide.readRegion(0, 2 * tw, 3 * th, tw, th);
    const { data: rgba } = await decodeJpeg((await slide.readNativeTile(0, 2, 3))!.bytes, tw * th);
    assert.ok(region.data.equals(rgba));
    const half = await slide.handle.rgbTile(0, 2, 3, 2);
    assert.ok(half.equals(boxShrink(tile.data, tw, th, 2)));
    assert.equal(half.length, (tw / 2) * (th / 2) * 3);
    // Cached: asking again decodes nothing more.
    const before = slide.handle.stats().decodes;
    await slide.handle.rgbTile(0, 2, 3, 2);
    await slide.readRegion(0, 2 * tw + 5, 3 * th + 7, 10, 10);
    assert.equal(slide.handle.stats().decodes, before);
    await assert.rejects(slide.handle.tile(0, 99, 0), (err) => isSlideError(err) && err.code === 'invalid-argument');
  } finally {
    await slide.close();
  }
  await assert.rejects(slide.handle.tile(0, 0, 0), (err) => isSlideError(err) && /closed/.test(err.message));
});

test('a reader without its own handle gets one per reader: native JPEG tiles decoded to RGB, other tiles read as regions', async () => {
  const jpeg = await InMemorySlide.create({ width: 600, height: 500, jpegTiles: true });
  const h = handleOf(jpeg);
  assert.equal(handleOf(jpeg), h);
  assert.equal((await h.tile(0, 1, 1)).channels, 3);
  assert.equal(jpeg.regionReads.length, 0);
  const plain = await InMemorySlide.create({ width: 600, height: 500 });
  const edge = await handleOf(plain).tile(0, 2, 1); // the corner tile: 600 − 512 = 88 × 500 − 256 = 244 px
  assert.deepEqual([edge.channels, edge.width, edge.height], [4, 88, 244]);
  const rgb = await handleOf(plain).rgbTile(0, 2, 1, 2);
  assert.equal(rgb.length, 44 * 122 * 3);
  assert.equal(handleOf(plain).stats().decodes, 1);
});

for (const scale of [1, 2] as const) {
  const what = scale === 1 ? 'Stored tiles' : 'DCT-scaled tiles';
  test(`${what} decode into buffers a cache dropped, never into ones a caller still reads or keeps`, { skip: skipWithoutShared || (scale > 1 && !libjpegTurboScales()) }, async () => {
    const slide = await openSlide(cmu);
    try {
      const { tileWidth, tileHeight } = slide.levels[0];
      const expected = async (col: number, row: number) =>
        (await decodeWithLibjpegTurbo((await slide.readNativeTile(0, col, row))!.bytes, tileWidth * tileHeight, 3, scale))!.data;
      // The slide's tiles, with tile (9, 9)'s read held until `open()`.
      let open!: () => void;
      const gate = new Promise<void>((resolve) => (open = resolve));
      const source = {
        levels: slide.levels,
        decodeTile: () => Promise.reject(new Error('JPEG levels only')),
        readNativeTile: async (level: number, col: number, row: number) => {
          if (col === 9 && row === 9) await gate;
          return slide.readNativeTile(level, col, row);
        },
      };
      // A cache whose share for these tiles holds four of them.
      const bytes = (tileWidth / scale) * (tileHeight / scale) * 3;
      const handle = new SlideHandle(source, { tileCacheBytes: 8 * bytes });
      const lend = <T>(cells: [number, number][], use: (tiles: readonly DecodedTile[]) => T) =>
        scale === 1 ? handle.withTiles(0, cells, use) : handle.withScaledJpegTiles(0, cells, scale, use);
      await lend([[0, 0]], () => null);
      // A render holds (0, 0) while it waits for (9, 9); meanwhile (0, 0) is dropped from the cache and
      // later tiles are decoded, into dropped buffers where that is safe.
      const waiting = lend([[0, 0], [9, 9]], (tiles) => Buffer.from(tiles[0].data));
      await lend([[1, 0], [2, 0], [3, 0], [4, 0]], () => null);
      await lend([[5, 0]], () => null);
      await lend([[6, 0]], () => null);
      open();
      assert.ok((await waiting)!.equals(await expected(0, 0)), 'a lent tile was overwritten while its render waited');
      assert.ok(handle.stats().recycledDecodes >= 1, 'no decode reused a dropped buffer');
      if (scale === 1) {
        // A tile handed out to keep (tile(), as read_region's) is never recycled, whatever comes after it.
        const kept = await handle.tile(0, 7, 7);
        const keptCopy = Buffer.from(kept.data);
        const before = handle.stats().recycledDecodes;
        for (let col = 0; col < 8; col++) await lend([[col, 3]], () => null);
        assert.ok(handle.stats().recycledDecodes > before, 'nothing was recycled after it');
        assert.ok(kept.data.equals(keptCopy), 'a tile handed out by tile() was overwritten');
      }
      const stats = handle.stats();
      assert.ok(stats.cacheBytes <= stats.cacheCapacity);
    } finally {
      await slide.close();
    }
  });
}
