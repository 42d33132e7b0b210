import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { DeepZoomTileService } from './deepzoom-tile-service.js';
import { InMemorySlide, patternRgb } from './testing/in-memory-slide.js';
import { isSlideError } from '../slide/slide-errors.js';

async function decode(bytes: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  assert.equal(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

test('every tile of every level has OpenSlide geometry', async () => {
  const slide = await InMemorySlide.create({ width: 1500, height: 1000, levelCount: 2 });
  const service = new DeepZoomTileService(slide);
  for (let level = 0; level < service.levelCount; level++) {
    const { cols, rows } = service.levelTiles[level];
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++) {
        const img = await decode(await service.getTile(level, col, row, 'png'));
        const expected = service.tileInfo(level, col, row).outputSize;
        assert.deepEqual({ width: img.width, height: img.height }, expected, `${level}/${col}_${row}`);
      }
    }
  }
});

test('full-resolution tiles reproduce the slide pixels exactly (PNG)', async () => {
  const slide = await InMemorySlide.create({ width: 700, height: 600 });
  const service = new DeepZoomTileService(slide);
  const top = service.levelCount - 1;
  const img = await decode(await service.getTile(top, 1, 1, 'png'));
  const { x, y, width, height } = service.tileInfo(top, 1, 1).dzRect;
  const expected = await sharp(patternRgb(700, 600), { raw: { width: 700, height: 600, channels: 3 } })
    .extract({ left: x, top: y, width, height })
    .raw()
    .toBuffer();
  assert.equal(meanAbsDiff(img.data, expected), 0);
});

test('a one-level slide reads each pixel about once for all overview levels, then never again', async () => {
  const slide = await InMemorySlide.create({ width: 3000, height: 2200 });
  const service = new DeepZoomTileService(slide, { tileCacheBytes: 0 });
  const overviewLevels = service.levelCount - 2; // below 1:1 and 1:2
  for (let pass = 0; pass < 2; pass++) {
    for (let level = 0; level < overviewLevels; level++) {
      const { cols, rows } = service.levelTiles[level];
      for (let row = 0; row < rows; row++) for (let col = 0; col < cols; col++) await service.getTile(level, col, row);
    }
    const pixelsRead = slide.regionReads.reduce((n, r) => n + r.width * r.height, 0);
    // 1.3× for the blocks, plus the finest overview level's right and bottom edge tiles, which read the
    // resampled 1:2 level again (once) to stretch the slide's end over the tile as OpenSlide does.
    assert.ok(pixelsRead <= 1.5 * 3000 * 2200, `pass ${pass}: read ${pixelsRead} px for a ${3000 * 2200} px slide`);
    assert.ok(Math.max(...slide.regionReads.map((r) => r.width * r.height)) <= 2048 * 2048);
  }
});

test('derived overview tiles look like the slide scaled down', async () => {
  const slide = await InMemorySlide.create({ width: 3000, height: 2200 });
  const service = new DeepZoomTileService(slide);
  const level = service.levelCount - 4; // 1:8, derived
  assert.equal(service.levelSources[level].kind, 'derived');
  const img = await decode(await service.getTile(level, 0, 0, 'png'));
  const { width, height } = service.levelDimensions[level];
  const expected = await sharp(patternRgb(3000, 2200), { raw: { width: 3000, height: 2200, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
    .extract({ left: 0, top: 0, width: img.width, height: img.height })
    .raw()
    .toBuffer();
  assert.ok(meanAbsDiff(img.data, expected) < 2, `mean abs diff ${meanAbsDiff(img.data, expected)}`);
});

test('native-aligned layout sends stored JPEG tiles unchanged, and decodes only partial edge tiles', async () => {
  const slide = await InMemorySlide.create({ width: 1100, height: 700, levelCount: 3, jpegTiles: true });
  const service = new DeepZoomTileService(slide, { tileSize: 256, overlap: 0 });
  const top = service.levelCount - 1;
  const tile = await service.getTile(top, 1, 1);
  const stored = await slide.readNativeTile(0, 1, 1);
  assert.deepEqual(tile, stored?.bytes);
  // 1:2 level: stored level 1 (550 × 350) serves 1:1 through the libvips-style 2.0x downsample.
  assert.deepEqual(service.levelSources[top - 1], { kind: 'stored', slideLevel: 1 });
  assert.deepEqual(await service.getTile(top - 1, 0, 0), (await slide.readNativeTile(1, 0, 0))?.bytes);
  const edge = await decode(await service.getTile(top, 4, 2));
  assert.deepEqual([edge.width, edge.height], [1100 - 1024, 700 - 512]);
  assert.equal(service.stats().passthroughTiles, 2, 'edge tiles are not passed through');
});

test('tiles over stored JPEG tiles are composed from them in one pipeline', async () => {
  const slide = await InMemorySlide.create({ width: 1500, height: 1000, levelCount: 2, jpegTiles: true });
  const service = new DeepZoomTileService(slide);
  const top = service.levelCount - 1;
  const reference = new DeepZoomTileService(await InMemorySlide.create({ width: 1500, height: 1000, levelCount: 2 }));
  for (const [level, col, row] of [[top, 2, 1], [top - 1, 1, 1], [top - 2, 0, 0]]) {
    const fast = await decode(await service.getTile(level, col, row, 'png'));
    const slow = await decode(await reference.getTile(level, col, row, 'png'));
    assert.deepEqual([fast.width, fast.height], [slow.width, slow.height]);
    assert.ok(meanAbsDiff(fast.data, slow.data) < 3, `${level}: ${meanAbsDiff(fast.data, slow.data)}`); // JPEG q90 of the stored tiles
  }
  assert.equal(slide.regionReads.filter((r) => r.level === 0).length, 0, 'no readRegion at level 0');
});

test('encoded tiles are cached within the byte bound and served again without reading', async () => {
  const slide = await InMemorySlide.create({ width: 2000, height: 2000 });
  const service = new DeepZoomTileService(slide, { tileCacheBytes: 40_000 });
  const top = service.levelCount - 1;
  const a = await service.getTile(top, 2, 2);
  const reads = slide.regionReads.length;
  assert.equal(await service.getTile(top, 2, 2), a);
  assert.equal(slide.regionReads.length, reads);
  for (let col = 0; col < 7; col++) await service.getTile(top, col, 0);
  assert.ok(service.stats().tileCacheBytes <= 40_000);
});

test('concurrent requests for one tile render it once', async () => {
  const slide = await InMemorySlide.create({ width: 2000, height: 2000 });
  const service = new DeepZoomTileService(slide);
  const top = service.levelCount - 1;
  const tiles = await Promise.all([1, 2, 3, 4].map(() => service.getTile(top, 3, 3)));
  assert.equal(slide.regionReads.length, 1);
  for (const t of tiles) assert.equal(t, tiles[0]);
});

test('DZI descriptor and invalid requests', async () => {
  const slide = await InMemorySlide.create({ width: 2220, height: 2967 });
  const service = new DeepZoomTileService(slide);
  assert.equal(
    service.dzi('jpeg'),
    '<?xml version="1.0" encoding="UTF-8"?>\n<Image xmlns="http://schemas.microsoft.com/deepzoom/2008" TileSize="254" Overlap="1" Format="jpeg"><Size Width="2220" Height="2967"/></Image>',
  );
  for (const [level, col, row] of [[13, 0, 0], [12, 9, 0], [-1, 0, 0], [12, 0.5, 0]]) {
    await assert.rejects(service.getTile(level, col, row), (err) => isSlideError(err) && err.code === 'invalid-argument');
  }
  await assert.rejects(service.getTile(12, 0, 0, 'jpeg', 101), (err) => isSlideError(err) && err.code === 'invalid-argument');
});

test('neighbouring tiles over stored JPEG tiles share their decodes', async () => {
  const slide = await InMemorySlide.create({ width: 1500, height: 1000, jpegTiles: true });
  const service = new DeepZoomTileService(slide, { tileCacheBytes: 0 });
  const top = service.levelCount - 1;
  for (const [col, row] of [[1, 1], [2, 1], [1, 2], [2, 2]]) await service.getTile(top, col, row);
  // Four 254/1 tiles over a 256 grid touch a 3 × 3 block of stored tiles: each decoded once.
  assert.equal(service.stats().storedTileDecodes, 9);
  assert.equal(service.stats().storedTileHits, 4 * 4 - 9);
  await service.getTile(top, 1, 1, 'png');
  assert.equal(service.stats().storedTileDecodes, 9);
  assert.equal(slide.regionReads.length, 0);
});

test('warmUp builds a one-level slide\'s overview levels once, in the background', async () => {
  const slide = await InMemorySlide.create({ width: 3000, height: 2200 });
  const service = new DeepZoomTileService(slide, { tileCacheBytes: 0 });
  const warming = service.warmUp();
  assert.equal(service.warmUp(), warming);
  await warming;
  const reads = slide.regionReads.length;
  const pixelsRead = slide.regionReads.reduce((n, r) => n + r.width * r.height, 0);
  assert.ok(pixelsRead <= 1.3 * 3000 * 2200, `read ${pixelsRead} px`);
  for (let level = 0; level < service.levelCount - 2; level++) {
    assert.equal(service.levelSources[level].kind, 'derived');
    const { cols, rows } = service.levelTiles[level];
    for (let row = 0; row < rows; row++) for (let col = 0; col < cols; col++) await service.getTile(level, col, row);
  }
  // Except, once each, the finest overview level's right and bottom edge tiles, which stretch the slide's
  // end over the tile from the 1:2 level as OpenSlide does.
  const finest = service.levelCount - 3;
  const { cols, rows } = service.levelTiles[finest];
  assert.ok(slide.regionReads.length - reads <= cols + rows - 1, 'overview tiles after warm-up read (almost) nothing from the slide');
});

test('warmUp leaves overview levels that do not fit half the block cache lazy', async () => {
  const slide = await InMemorySlide.create({ width: 3000, height: 2200 });
  const service = new DeepZoomTileService(slide, { blockCacheBytes: 200_000 });
  await service.warmUp();
  assert.ok(service.stats().blockCacheBytes <= 200_000);
  const pixelsRead = slide.regionReads.reduce((n, r) => n + r.width * r.height, 0);
  assert.ok(pixelsRead <= 1.3 * 3000 * 2200, `read ${pixelsRead} px`);
});

test('warmUp makes the overview levels\' tiles, stored-level ones included: asking for them afterwards reads nothing', async () => {
  // Five stored levels: the coarsest ones (≤ one 512² block) are resampled from stored levels, not derived.
  const slide = await InMemorySlide.create({ width: 4000, height: 3000, levelCount: 5 });
  const service = new DeepZoomTileService(slide, { tileCacheBytes: 0 });
  const overview = service.levelDimensions.map((d, level) => ({ d, level })).filter(({ d }) => d.width * d.height <= 512 * 512);
  assert.ok(overview.some(({ level }) => service.levelSources[level].kind !== 'derived'), 'an overview level cut from a stored level');
  await service.warmUp();
  const reads = slide.regionReads.length + slide.nativeReads.length;
  for (const { level } of overview) {
    const { cols, rows } = service.levelTiles[level];
    for (let row = 0; row < rows; row++) for (let col = 0; col < cols; col++) await service.getTile(level, col, row);
  }
  assert.equal(slide.regionReads.length + slide.nativeReads.length, reads, 'overview tiles read the slide after warmUp');
});
