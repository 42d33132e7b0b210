import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { completeTiffJpeg, completeTiffJpegInPlace, tiffJpegHeadroom } from './jpeg.js';

/** A real JPEG split as libtiff writes TIFF JPEG: shared tables (SOI, DQT, DHT, EOI) and an abbreviated piece. */
async function splitJpeg(withJfif: boolean): Promise<{ whole: Buffer; tables: Buffer; piece: Buffer }> {
  const pixels = Buffer.alloc(32 * 16 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37) % 256;
  let whole = await sharp(pixels, { raw: { width: 32, height: 16, channels: 3 } }).jpeg({ quality: 80 }).toBuffer();
  if (!withJfif && whole[3] === 0xe0) whole = Buffer.concat([whole.subarray(0, 2), whole.subarray(4 + whole.readUInt16BE(4))]);
  // Markers up to SOF go to the tables (DQT 0xdb, DHT 0xc4); the rest is the piece.
  const tableParts: Buffer[] = [Buffer.from([0xff, 0xd8])];
  const pieceParts: Buffer[] = [Buffer.from([0xff, 0xd8])];
  let i = 2;
  while (whole[i + 1] !== 0xda) {
    const end = i + 2 + whole.readUInt16BE(i + 2);
    (whole[i + 1] === 0xdb || whole[i + 1] === 0xc4 ? tableParts : pieceParts).push(whole.subarray(i, end));
    i = end;
  }
  pieceParts.push(whole.subarray(i));
  tableParts.push(Buffer.from([0xff, 0xd9]));
  return { whole, tables: Buffer.concat(tableParts), piece: Buffer.concat(pieceParts) };
}

test('a TIFF JPEG piece completed in its own read buffer equals the spliced copy, tables or not, RGB or not', async () => {
  for (const withJfif of [false, true]) {
    const { tables, piece } = await splitJpeg(withJfif);
    for (const t of [tables, undefined]) {
      for (const rgb of [false, true]) {
        const expected = completeTiffJpeg(t, piece, rgb);
        const headroom = tiffJpegHeadroom(t);
        const buffer = Buffer.alloc(headroom + piece.length, 0xaa);
        piece.copy(buffer, headroom);
        const inPlace = completeTiffJpegInPlace(t, buffer, headroom, rgb);
        assert.ok(inPlace.equals(expected), `jfif ${withJfif}, tables ${t !== undefined}, rgb ${rgb}`);
        assert.equal(inPlace.buffer, buffer.buffer, 'made in the read buffer, not a copy');
        const meta = await sharp(inPlace).metadata();
        assert.deepEqual([meta.width, meta.height], [32, 16]);
      }
    }
  }
  const { tables, piece } = await splitJpeg(false);
  assert.throws(() => completeTiffJpegInPlace(tables, Buffer.concat([Buffer.alloc(4), piece]), 4, true), RangeError);
});
