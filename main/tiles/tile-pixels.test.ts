// The tile path's pixel helpers (halving, area shrink, neighbour means, pooled buffers) and tiles cut at 2×
// from half-size (DCT-scaled) decodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { boxShrink, handleOf } from '../slide/slide-handle.js';
import { openSlide } from '../slide/open-slide.js';
import { tempDir } from '../slide/testing/fixtures.js';
import { ACCURATE_JPEG_DECODE } from '../testing/jpeg-decode-tolerance.js';
import { resampledRegion } from './deepzoom-level-reader.js';
import { DeepZoomTileService } from './deepzoom-tile-service.js';
import { averageNeighbours } from './native-jpeg-tiles.js';
import { fineTexture } from './testing/fine-texture.js';
import { PixelBufferPool } from '../slide/pixel-buffer-pool.js';
import { areaShrinkRgb } from './raw-pixels.js';

function noise(width: number, height: number, seed = 7): Buffer {
  const out = Buffer.allocUnsafe(width * height * 3);
  let s = seed;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

test('area shrink: exactly the 2 × 2 box mean at 2×, constant colours stay, fractional pixels weighted by cover', () => {
  const src = noise(64, 48);
  assert.ok(areaShrinkRgb(src, 64, 48, 32, 24).equals(boxShrink(src, 64, 48, 2)));
  const flat = Buffer.alloc(37 * 11 * 3, 123);
  assert.ok(areaShrinkRgb(flat, 37, 11, 19, 6).every((v) => v === 123));
  // 3 → 2 pixels: the first output covers pixel 0 and half of pixel 1, the second the rest.
  const row = Buffer.from([0, 0, 0, 90, 90, 90, 210, 210, 210]);
  assert.deepEqual([...areaShrinkRgb(row, 3, 1, 2, 1)], [30, 30, 30, 170, 170, 170]);
});

test('pixel buffer pool: hands back what it was given, by size, within its byte bound', () => {
  const pool = new PixelBufferPool(1000);
  const a = pool.take(600);
  assert.equal(a.length, 600);
  pool.give(a);
  assert.equal(pool.idleBytes, 600);
  assert.equal(pool.take(600), a);
  assert.notEqual(pool.take(300), a);
  pool.give(a);
  pool.give(Buffer.alloc(600)); // over the bound: dropped
  assert.equal(pool.idleBytes, 600);
});

test('averaging neighbours: half a pixel across, down, or both', () => {
  // 3 × 2 RGB window; one channel shown per pixel value (all three equal).
  const win = Buffer.from([10, 10, 10, 30, 30, 30, 90, 90, 90, 50, 50, 50, 70, 70, 70, 110, 110, 110]);
  const out = Buffer.alloc(2 * 3);
  assert.deepEqual([...averageNeighbours(win, 3, { width: 2, height: 1 }, 1, 0, out)].filter((_, i) => i % 3 === 0), [20, 60]);
  assert.deepEqual([...averageNeighbours(win, 3, { width: 2, height: 1 }, 0, 1, out)].filter((_, i) => i % 3 === 0), [30, 50]);
  assert.deepEqual([...averageNeighbours(win, 3, { width: 2, height: 1 }, 1, 1, out)].filter((_, i) => i % 3 === 0), [40, 75]);
});

test('tiles cut at 2× from a JPEG level decode its tiles at half size (libjpeg DCT scaling) and stay within a box halving of the full decode (mean |Δ| ≤ 2; a one-pixel shift of this texture costs far more)', { skip: ACCURATE_JPEG_DECODE ? false : 'no TurboJPEG library through koffi here: tiles at 2× are halved from the full decode' }, async () => {
  const dir = tempDir();
  try {
    // A fine texture on an odd-sized canvas: levels 2.0003… apart, so Deep Zoom 1:2 reads level 0 at 2×
    // and 1:4 reads level 1 at 1.9997× (fractional origins, some odd).
    const [w, h] = [2049, 1537];
    const raw = fineTexture(w, h);
    const path = dir.file('pyramid.tiff');
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).tiff({ compression: 'jpeg', quality: 90, tile: true, tileWidth: 256, tileHeight: 256, pyramid: true }).toFile(path);
    const slide = await openSlide(path);
    try {
      const service = new DeepZoomTileService(slide, { tileCacheBytes: 0 });
      const top = service.levelCount - 1;
      const handle = handleOf(slide);
      for (const level of [top - 1, top - 2]) {
        const source = service.levelSources[level];
        assert.equal(source.kind, 'resampled');
        if (source.kind !== 'resampled') continue;
        const stored = slide.levels[source.slideLevel];
        // Tiles whose region is exactly twice their size (edge tiles, where OpenSlide stretches, are not).
        const count = service.levelTiles[level].cols * service.levelTiles[level].rows;
        let checked = 0;
        for (let k = 0; k < count; k++) {
          const col = k % service.levelTiles[level].cols;
          const row = Math.floor(k / service.levelTiles[level].cols);
          const info = service.tileInfo(level, col, row);
          const r = resampledRegion(stored, source.scale, info.dzRect);
          if (r.width !== 2 * info.outputSize.width || r.height !== 2 * info.outputSize.height) continue;
          checked++;
          const mine = await sharp(await service.getTile(level, col, row, 'png')).raw().toBuffer();
          // Reference: OpenSlide's region (its fractional origin, bilinear sub-pixel shift) from the full
          // decode, then 2 × 2 box means.
          const region = await slide.readRegion(source.slideLevel, r.x0, r.y0, r.width, r.height);
          const rgb = Buffer.alloc(r.width * r.height * 3);
          for (let p = 0; p < r.width * r.height; p++) region.data.copy(rgb, p * 3, p * 4, p * 4 + 3);
          const box = boxShrink(rgb, r.width, r.height, 2);
          let sum = 0;
          for (let i = 0; i < box.length; i++) sum += Math.abs(mine[i] - box[i]);
          assert.ok(sum / box.length <= 2, `${level}/${col}_${row}: mean |Δ| ${(sum / box.length).toFixed(2)} from the box halving`);
        }
        assert.ok(checked >= 2, `level ${level}: ${checked} tiles at exactly 2×`);
      }
      // Level 0's stored tile (2, 2) lies under Deep Zoom 1:2 tile (1, 1): decoded at half size, cached so
      // (the reference's read_region decoded it in full too).
      const half = handle.scaledCache.get('0/2/2/dct2');
      assert.deepEqual(half && [half.width, half.height, half.channels], [128, 128, 3]);
    } finally {
      await slide.close();
    }
  } finally {
    dir.remove();
  }
});
