// Tiles against OpenSlide 3.4.1's DeepZoomGenerator (tile_size 254, overlap 1, limit_bounds False) on real
// slides: geometry exactly (sizes, Pillow's aspect-rounded tiny tiles included); pixels within tolerances
// measured here as mean |Δ| per channel (0–255):
//   full resolution (stored level, 1:1)           0.00, max ≤ 2 (same libjpeg-turbo / OpenJPEG decode)
//   1:2 resampled from level 0 (CMU dz-11)        0.00 (libvips Lanczos 3 ≈ Pillow Lanczos)
//   TCGA 1:2 from the stored 2.0005× level        2.43 (OpenSlide resamples level 0 instead; scanner's downsample)
//   cached overview pyramid, 1:4 – 1:32           0.66 – 4.16 (libvips Lanczos halvings vs Pillow reduce + Lanczos)
//   whole slide in a few pixels (4 × 6, 5 × 4)    13.7 – 17.5 (limit 25)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { openSlide } from '../slide/open-slide.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { DeepZoomTileService } from './deepzoom-tile-service.js';

interface Reference {
  deepzoom: { level_count: number; level_tiles: [number, number][]; tiles: { file: string; level: number; col: number; row: number }[] };
}

for (const name of ['CMU-1-Small-Region', 'TCGA-CR-7395-01A-01-TS1']) {
  test(`${name}: Deep Zoom tiles match OpenSlide's`, { skip: skipWithoutShared }, async () => {
    const ref = JSON.parse(readFileSync(shared('data', 'reference', name, 'openslide.json'), 'utf8')) as Reference;
    const slide = await openSlide(shared('data', 'slides', `${name}.svs`));
    try {
      const service = new DeepZoomTileService(slide);
      assert.equal(service.levelCount, ref.deepzoom.level_count);
      assert.deepEqual(service.levelTiles.map((t) => [t.cols, t.rows]), ref.deepzoom.level_tiles);
      for (const t of ref.deepzoom.tiles) {
        const mine = await sharp(await service.getTile(t.level, t.col, t.row, 'png')).raw().toBuffer({ resolveWithObject: true });
        const theirs = await sharp(shared('data', 'reference', name, t.file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        assert.deepEqual([mine.info.width, mine.info.height, mine.info.channels], [theirs.info.width, theirs.info.height, 3], t.file);
        let sum = 0;
        let max = 0;
        for (let i = 0; i < mine.data.length; i++) {
          const d = Math.abs(mine.data[i] - theirs.data[i]);
          sum += d;
          if (d > max) max = d;
        }
        const mad = sum / mine.data.length;
        const fullResolution = t.level === ref.deepzoom.level_count - 1;
        const limit = fullResolution ? 0.01 : Math.min(mine.info.width, mine.info.height) >= 64 ? 5 : 25;
        assert.ok(mad <= limit, `${name} ${t.file}: mean |Δ| ${mad.toFixed(2)} > ${limit}`);
        if (fullResolution) assert.ok(max <= 2, `${name} ${t.file}: max |Δ| ${max}`);
      }
    } finally {
      await slide.close();
    }
  });
}

test('CMU-1-Small-Region: native-aligned layout passes stored JPEG tiles through', { skip: skipWithoutShared }, async () => {
  const slide = await openSlide(shared('data', 'slides', 'CMU-1-Small-Region.svs'));
  try {
    const service = new DeepZoomTileService(slide, { tileSize: 240, overlap: 0 });
    const top = service.levelCount - 1;
    const tile = await service.getTile(top, 3, 4);
    assert.deepEqual(tile, (await slide.readNativeTile(0, 3, 4))?.bytes);
    assert.equal(service.stats().passthroughTiles, 1);
    const meta = await sharp(tile).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 240, 240]);
  } finally {
    await slide.close();
  }
});
