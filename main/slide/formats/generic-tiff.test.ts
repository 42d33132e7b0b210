// Generic pyramidal TIFF and BigTIFF, written by libvips (sharp) at test time in every compression.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp, { type TiffOptions } from 'sharp';
import { openSlide } from '../open-slide.js';
import { decodeJpeg } from '../codecs/jpeg.js';
import { JPEG_DECODE_TOLERANCE } from '../../testing/jpeg-decode-tolerance.js';
import { diffRgba } from '../testing/compare-pixels.js';
import { tempDir, testCard } from '../testing/fixtures.js';

const W = 1000;
const H = 700;
const source = testCard(W, H);
const dir = tempDir();
after(() => dir.remove());

/** RGBA view of the source card's region, for comparisons. */
function sourceRgba(x: number, y: number, w: number, h: number): Buffer {
  const out = Buffer.alloc(w * h * 4);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const sx = x + i;
      const sy = y + j;
      if (sx < 0 || sy < 0 || sx >= W || sy >= H) continue;
      source.copy(out, (j * w + i) * 4, (sy * W + sx) * 3, (sy * W + sx) * 3 + 3);
      out[(j * w + i) * 4 + 3] = 255;
    }
  }
  return out;
}

async function writeFixture(name: string, options: TiffOptions): Promise<string> {
  const path = dir.file(name);
  await sharp(source, { raw: { width: W, height: H, channels: 3 } })
    .tiff({ tile: true, pyramid: true, tileWidth: 128, tileHeight: 128, ...options })
    .toFile(path);
  return path;
}

const cases: { name: string; options: TiffOptions; lossless: boolean }[] = [
  { name: 'jpeg.tif', options: { compression: 'jpeg', quality: 95 }, lossless: false },
  { name: 'lzw.tif', options: { compression: 'lzw' }, lossless: true },
  { name: 'deflate.tif', options: { compression: 'deflate' }, lossless: true },
  { name: 'none.tif', options: { compression: 'none' }, lossless: true },
  { name: 'lzw-nopredictor.tif', options: { compression: 'lzw', predictor: 'none' }, lossless: true },
  { name: 'bigtiff-deflate.tif', options: { compression: 'deflate', bigtiff: true }, lossless: true },
  { name: 'bigtiff-jpeg.tif', options: { compression: 'jpeg', quality: 95, bigtiff: true }, lossless: false },
];

for (const c of cases) {
  test(`generic TIFF ${c.name}: pyramid geometry, MPP and pixels`, async () => {
    // 4000 px/mm = 0.25 µm/px, written in pixels per centimetre.
    const path = await writeFixture(c.name, { ...c.options, xres: 4000, yres: 4000, resolutionUnit: 'cm' });
    const slide = await openSlide(path);
    try {
      assert.equal(slide.vendor, 'generic-tiff');
      assert.deepEqual([slide.levels[0].width, slide.levels[0].height], [W, H]);
      assert.ok(slide.levels.length >= 3, `${slide.levels.length} levels`);
      for (let i = 1; i < slide.levels.length; i++) {
        const l = slide.levels[i];
        assert.ok(l.width < slide.levels[i - 1].width);
        assert.equal(l.downsample, (W / l.width + H / l.height) / 2);
        assert.equal(l.tileWidth, 128);
      }
      assert.ok(slide.mpp && Math.abs(slide.mpp.x - 0.25) < 1e-9 && Math.abs(slide.mpp.y - 0.25) < 1e-9);
      assert.equal(slide.properties['tiff.ResolutionUnit'], 'centimeter');
      assert.equal(slide.properties['openslide.mpp-x'], '0.25');
      // A region straddling tiles and the bottom-right edge.
      const region = await slide.readRegion(0, 900, 600, 200, 150);
      const d = diffRgba(region.data, sourceRgba(900, 600, 200, 150));
      assert.equal(d.alphaMax, 0);
      if (c.lossless) assert.equal(d.max, 0);
      else assert.ok(d.mean <= 3 && d.p99 <= 12, `jpeg: mean ${d.mean}, p99 ${d.p99}`);
      // A reduced level: compare with the source shrunk the same way.
      const level = slide.levels[1];
      const small = await slide.readRegion(1, 0, 0, level.width, level.height);
      const expected = await sharp(source, { raw: { width: W, height: H, channels: 3 } })
        .resize(level.width, level.height, { kernel: 'linear' })
        .ensureAlpha()
        .raw()
        .toBuffer();
      const ds = diffRgba(small.data, expected);
      assert.ok(ds.mean <= 4, `level 1 mean difference ${ds.mean}`);
    } finally {
      await slide.close();
    }
  });
}

test('generic TIFF: a resolution in inches gives MPP too', async () => {
  const inch = await openSlide(await writeFixture('inch.tif', { compression: 'lzw', xres: 2000, yres: 4000, resolutionUnit: 'inch' }));
  try {
    assert.ok(inch.mpp && Math.abs(inch.mpp.x - 0.5) < 1e-6 && Math.abs(inch.mpp.y - 0.25) < 1e-6, JSON.stringify(inch.mpp));
    assert.equal(inch.properties['tiff.ResolutionUnit'], 'inch');
  } finally {
    await inch.close();
  }
});

test('generic TIFF: native JPEG tiles are standalone JPEGs with the decoded pixels', async () => {
  const slide = await openSlide(await writeFixture('native.tif', { compression: 'jpeg', quality: 90 }));
  try {
    const tile = await slide.readNativeTile(0, 1, 1);
    assert.ok(tile);
    const { data, info } = await sharp(tile.bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height], [128, 128]);
    const region = await slide.readRegion(0, 128, 128, 128, 128);
    assert.ok(diffRgba(data, region.data).max <= JPEG_DECODE_TOLERANCE.max);
    assert.equal(diffRgba((await decodeJpeg(tile.bytes, 128 * 128)).data, region.data).max, 0);
  } finally {
    await slide.close();
  }
  const lossless = await openSlide(await writeFixture('native-lzw.tif', { compression: 'lzw' }));
  try {
    assert.equal(await lossless.readNativeTile(0, 0, 0), null);
  } finally {
    await lossless.close();
  }
});
