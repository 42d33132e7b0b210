import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { DeepZoomGeometry } from './deepzoom-geometry.js';
import { bestLevelForDownsample } from './best-slide-level.js';
import { thumbnailSize } from './thumbnail-size.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';

const slides = ['CMU-1-Small-Region', 'TCGA-CR-7395-01A-01-TS1'];

interface ReferenceJson {
  level_dimensions: [number, number][];
  level_downsamples: number[];
  deepzoom: {
    level_count: number;
    level_dimensions: [number, number][];
    level_tiles: [number, number][];
    tiles: { file: string; level: number; col: number; row: number }[];
  };
}

function geometryOf(ref: ReferenceJson): DeepZoomGeometry {
  const levels = ref.level_dimensions.map(([width, height], i) => ({ width, height, downsample: ref.level_downsamples[i] }));
  return new DeepZoomGeometry(levels, 254, 1);
}

test('pyramid levels and tile counts match OpenSlide DeepZoomGenerator', { skip: skipWithoutShared }, () => {
  for (const slide of slides) {
    const ref = JSON.parse(readFileSync(shared('data', 'reference', slide, 'openslide.json'), 'utf8')) as ReferenceJson;
    const g = geometryOf(ref);
    assert.equal(g.levelCount, ref.deepzoom.level_count, slide);
    assert.deepEqual(g.levelDimensions.map((d) => [d.width, d.height]), ref.deepzoom.level_dimensions, slide);
    assert.deepEqual(g.levelTiles.map((t) => [t.cols, t.rows]), ref.deepzoom.level_tiles, slide);
  }
});

test('tile sizes match OpenSlide reference tiles, aspect-rounding quirk included', { skip: skipWithoutShared }, async () => {
  for (const slide of slides) {
    const ref = JSON.parse(readFileSync(shared('data', 'reference', slide, 'openslide.json'), 'utf8')) as ReferenceJson;
    const g = geometryOf(ref);
    for (const t of ref.deepzoom.tiles) {
      const meta = await sharp(shared('data', 'reference', slide, t.file)).metadata();
      const info = g.tileInfo(t.level, t.col, t.row);
      assert.deepEqual(info.outputSize, { width: meta.width, height: meta.height }, `${slide} ${t.file}`);
    }
  }
});

test('tile rectangles carry overlap on interior edges only', () => {
  const g = new DeepZoomGeometry([{ width: 1000, height: 600, downsample: 1 }], 254, 1);
  assert.equal(g.levelCount, 11);
  assert.deepEqual(g.levelTiles[10], { cols: 4, rows: 3 });
  assert.deepEqual(g.tileInfo(10, 0, 0).dzRect, { x: 0, y: 0, width: 255, height: 255 });
  assert.deepEqual(g.tileInfo(10, 1, 1).dzRect, { x: 253, y: 253, width: 256, height: 256 });
  assert.deepEqual(g.tileInfo(10, 3, 2).dzRect, { x: 761, y: 507, width: 239, height: 93 });
  assert.deepEqual(g.tileInfo(9, 0, 0).openSlideRegion, { level: 0, x: 0, y: 0, width: 510, height: 510 });
  assert.throws(() => g.tileInfo(10, 4, 0), RangeError);
  assert.throws(() => g.tileInfo(11, 0, 0), RangeError);
});

test('best level follows OpenSlide 3.4.1 (no tolerance)', () => {
  assert.equal(bestLevelForDownsample([1, 4, 16], 0.5), 0);
  assert.equal(bestLevelForDownsample([1, 4, 16], 3.99), 0);
  assert.equal(bestLevelForDownsample([1, 4, 16], 4), 1);
  assert.equal(bestLevelForDownsample([1, 2.0005], 2), 0);
  assert.equal(bestLevelForDownsample([1, 4, 16], 1024), 2);
});

test('thumbnail size keeps aspect like Pillow', () => {
  assert.deepEqual(thumbnailSize(2220, 2967, 5, 6), { width: 4, height: 6 });
  assert.deepEqual(thumbnailSize(100, 100, 200, 200), { width: 100, height: 100 });
  assert.deepEqual(thumbnailSize(512, 512, 256, 256), { width: 256, height: 256 });
});

test('stored-level positions map back to whole pixels under x / downsample', async () => {
  const { levelToLevel0 } = await import('./deepzoom-level-reader.js');
  for (const ds of [1, 2, 4.000122, 2.0005055500659967, 2.00003063, 256.8154]) {
    for (let v = 0; v < 50000; v += 97) {
      const x0 = levelToLevel0(v, ds);
      const lx = x0 / ds;
      assert.equal(Math.floor(lx), v);
      assert.equal(Math.floor((lx - v) * 256), 0, `${ds} ${v}`);
    }
  }
});
