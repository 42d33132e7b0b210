// libjpeg-turbo straight through TurboJPEG: sharp's accurate-IDCT pixels exactly where the library loads
// through koffi (within the fast IDCT's rounding with the fallback binding), libjpeg's DCT scaling;
// streams it declines (so sharp takes them) return null; encodes are 4:2:0 baseline JPEGs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { ACCURATE_JPEG_DECODE, FAST_IDCT_TOLERANCE } from '../../testing/jpeg-decode-tolerance.js';
import { boxShrink } from '../slide-handle.js';
import { isSlideError } from '../slide-errors.js';
import { decodeJpeg } from './jpeg.js';
import { decodeWithLibjpegTurbo, encodeWithLibjpegTurbo, libjpegTurboAvailable } from './libjpeg-turbo.js';

const W = 96;
const H = 80;
const pixels = Buffer.alloc(W * H * 3);
for (let y = 0; y < H; y++) {
  for (let x = 0; x < W; x++) {
    const i = (y * W + x) * 3;
    pixels[i] = 128 + 100 * Math.sin(x / 5);
    pixels[i + 1] = 128 + 100 * Math.cos(y / 7);
    pixels[i + 2] = 128 + 80 * Math.sin((x + y) / 11);
  }
}
const image = () => sharp(pixels, { raw: { width: W, height: H, channels: 3 } });

function diff(a: Buffer, b: Buffer): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / a.length, max };
}

test('the binding loads here (tiles would fall back to sharp, several times slower, if it did not)', () => {
  assert.equal(libjpegTurboAvailable(), true);
});

test('decodes RGB (4:2:0 and 4:4:4) and grey JPEGs as an accurate decode does (or within the fallback binding\'s fast-IDCT rounding), as RGB or RGBA', async () => {
  for (const options of [{ quality: 80 }, { quality: 90, chromaSubsampling: '4:4:4' }]) {
    const jpeg = await image().jpeg(options).toBuffer();
    const accurate = await sharp(jpeg).raw().toBuffer();
    const rgb = await decodeWithLibjpegTurbo(jpeg, W * H, 3);
    assert.ok(rgb);
    assert.deepEqual([rgb.width, rgb.height, rgb.channels, rgb.data.length], [W, H, 3, W * H * 3]);
    // Smooth synthetic gradients show the fast IDCT's rounding more than tissue does (measured: mean 1.01, max 3).
    const d = diff(rgb.data, accurate);
    if (ACCURATE_JPEG_DECODE) assert.deepEqual(d, { mean: 0, max: 0 });
    else assert.ok(d.mean <= 1.25 && d.max <= FAST_IDCT_TOLERANCE.max, JSON.stringify(d));
    const rgba = await decodeWithLibjpegTurbo(jpeg, W * H, 4);
    assert.ok(rgba);
    for (let p = 0; p < W * H; p++) {
      assert.equal(rgba.data[p * 4 + 3], 255);
      assert.equal(rgba.data[p * 4], rgb.data[p * 3]);
    }
  }
  const grey = await image().toColourspace('b-w').jpeg().toBuffer();
  const g = await decodeWithLibjpegTurbo(grey, W * H, 3);
  assert.ok(g);
  assert.equal(g.data[0], g.data[1]);
  assert.equal(g.data[1], g.data[2]);
});

test('DCT scaling by 2, 4 and 8 (where the library loads through koffi): libjpeg\'s reduced decode, ceil-sized, close to box means', { skip: ACCURATE_JPEG_DECODE ? false : 'no TurboJPEG library through koffi here: the binding does not scale' }, async () => {
  const jpeg = await image().jpeg({ quality: 90 }).toBuffer();
  const full = (await decodeWithLibjpegTurbo(jpeg, W * H, 3))!;
  for (const scale of [2, 4, 8] as const) {
    const out = await decodeWithLibjpegTurbo(jpeg, W * H, 3, scale);
    assert.ok(out);
    assert.deepEqual([out.width, out.height], [Math.ceil(W / scale), Math.ceil(H / scale)]);
    const box = boxShrink(full.data, W, H, scale);
    const d = diff(out.data, box);
    assert.ok(d.mean < 3, `1/${scale}: mean |Δ| ${d.mean.toFixed(2)} from the box means`);
  }
  assert.equal(await decodeWithLibjpegTurbo(jpeg, W * H, 3, 3), null);
});

test('declines what sharp should take: a truncated stream, a header over the pixel budget, CMYK, not a JPEG', async () => {
  const jpeg = await image().jpeg().toBuffer();
  assert.equal(await decodeWithLibjpegTurbo(jpeg.subarray(0, jpeg.length >> 1), W * H, 3), null);
  assert.equal(await decodeWithLibjpegTurbo(jpeg, W * H - 1, 3), null);
  const cmyk = await image().toColourspace('cmyk').jpeg().toBuffer();
  assert.equal(await decodeWithLibjpegTurbo(cmyk, W * H, 3), null);
  assert.equal(await decodeWithLibjpegTurbo(Buffer.from('not a jpeg at all'), W * H, 3), null);
  // Through the codec everyone calls: sharp decodes the CMYK one, and a header over the budget is an error.
  const fromCmyk = await decodeJpeg(cmyk, W * H);
  assert.deepEqual([fromCmyk.width, fromCmyk.height, fromCmyk.channels], [W, H, 4]);
  await assert.rejects(decodeJpeg(jpeg, W * H - 1), (err) => isSlideError(err) && err.code === 'corrupt');
});

test('encodes baseline 4:2:0 JPEGs of the given quality that decode back close to the pixels', async () => {
  const out = await encodeWithLibjpegTurbo(pixels, W, H, 90);
  assert.ok(out);
  const meta = await sharp(out).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height, meta.chromaSubsampling, meta.isProgressive], ['jpeg', W, H, '4:2:0', false]);
  const back = await sharp(out).raw().toBuffer();
  assert.ok(diff(back, pixels).mean < 4);
  const low = await encodeWithLibjpegTurbo(pixels, W, H, 30);
  assert.ok(low && low.length < out.length);
});

test('encoded tiles own only their bytes, and concurrent encodes do not share a destination', async () => {
  const one = await encodeWithLibjpegTurbo(pixels, W, H, 90);
  // A cached tile must not pin the worst-case compression buffer (tjBufSize, many times the tile).
  assert.ok(one.buffer.byteLength <= Math.max(8192, one.length), `${one.length} bytes hold ${one.buffer.byteLength}`);
  const inverted = Buffer.from(pixels.map((v) => 255 - v));
  const alone = [await encodeWithLibjpegTurbo(pixels, W, H, 80), await encodeWithLibjpegTurbo(inverted, W, H, 80)];
  const together = await Promise.all(Array.from({ length: 12 }, (_, i) => encodeWithLibjpegTurbo(i % 2 ? inverted : pixels, W, H, 80)));
  together.forEach((jpeg, i) => assert.ok(jpeg.equals(alone[i % 2]), `encode ${i} differs from the same image encoded alone`));
});
