// Broken and hostile files: each must end in a SlideError a person can read, quickly, never a crash.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { openSlide } from './open-slide.js';
import { SlideError, type SlideErrorCode } from './slide-errors.js';
import { tempDir, testCard } from './testing/fixtures.js';
import { cutTiles, tiledImageEntries, writeTiff, TYPE, type IfdSpec } from './testing/tiff-writer.js';
import { Compression, Tag } from './tiff/tiff-tags.js';

const dir = tempDir();
after(() => dir.remove());

function file(name: string, bytes: Buffer): string {
  const path = dir.file(name);
  writeFileSync(path, bytes);
  return path;
}

async function rejectsWith(work: Promise<unknown>, code: SlideErrorCode | SlideErrorCode[], pattern?: RegExp): Promise<void> {
  const codes = Array.isArray(code) ? code : [code];
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof SlideError, `expected a SlideError, got ${String(err)}`);
    assert.ok(codes.includes(err.code), `code ${err.code} (${err.message})`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

/** A valid 256×256 deflate-tiled TIFF, with `patch` applied to its one directory first. */
function smallTiff(patch: (ifd: IfdSpec) => void = () => undefined): Buffer {
  const raw = testCard(256, 256);
  const ifd: IfdSpec = {
    entries: tiledImageEntries({ width: 256, height: 256, tileWidth: 128, tileHeight: 128, compression: Compression.AdobeDeflate }),
    pieces: cutTiles(raw, 256, 256, 3, 128, 128).map((t) => deflateSync(t)),
  };
  patch(ifd);
  return writeTiff({ ifds: [ifd] });
}

function setEntry(ifd: IfdSpec, tag: number, type: number, value: number[] | Buffer): void {
  ifd.entries = ifd.entries.filter((e) => e.tag !== tag);
  ifd.entries.push({ tag, type, value });
}

test('the small valid TIFF used below opens and reads', async () => {
  const slide = await openSlide(file('valid.tif', smallTiff()));
  const region = await slide.readRegion(0, 0, 0, 256, 256);
  assert.equal(region.width, 256);
  await slide.close();
});

test('missing files, folders, empty files and random bytes', async () => {
  await rejectsWith(openSlide(dir.file('nope.svs')), 'not-found', /No such file/);
  const folder = dir.file('folder.svs');
  mkdirSync(folder);
  await rejectsWith(openSlide(folder), 'unsupported-format', /folder/);
  await rejectsWith(openSlide(file('empty.svs', Buffer.alloc(0))), 'unsupported-format', /not a slide format/);
  let seed = 7;
  const random = Buffer.from(Buffer.alloc(100_000).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0xff));
  await rejectsWith(openSlide(file('random.svs', random)), 'unsupported-format');
  // Random bytes after a TIFF header.
  await rejectsWith(openSlide(file('random-tiff.tif', Buffer.concat([Buffer.from('II*\0', 'latin1'), random]))), ['corrupt', 'truncated', 'too-large']);
});

test('a TIFF without tiles is refused as not a slide', async () => {
  const plain = await sharp(testCard(64, 64), { raw: { width: 64, height: 64, channels: 3 } }).tiff({ compression: 'lzw' }).toBuffer();
  await rejectsWith(openSlide(file('stripped.tif', plain)), 'unsupported-format', /no tiles/);
});

test('truncated files', { skip: skipWithoutShared }, async () => {
  const svs = readFileSync(shared('data', 'slides', 'CMU-1-Small-Region.svs'));
  for (const length of [4, 7, 100, 1_000_000, 1_300_000, svs.length - 1000]) {
    const path = file(`truncated-${length}.svs`, svs.subarray(0, length));
    await rejectsWith(openSlide(path), ['truncated', 'corrupt', 'unsupported-format'], /truncated|corrupt|not a slide|too short/);
  }
});

test('tile offsets past the end of the file', async () => {
  const path = file('offsets.tif', smallTiff((ifd) => {
    ifd.pieces = undefined;
    setEntry(ifd, Tag.TileOffsets, TYPE.LONG, [8, 8, 8, 4_000_000_000]);
    setEntry(ifd, Tag.TileByteCounts, TYPE.LONG, [10, 10, 10, 10]);
  }));
  const slide = await openSlide(path);
  await rejectsWith(slide.readRegion(0, 128, 128, 10, 10), 'truncated', /past its end/);
  await slide.close();
});

test('absurd dimensions and tile counts that do not match', async () => {
  await rejectsWith(openSlide(file('wide.tif', smallTiff((ifd) => setEntry(ifd, Tag.ImageWidth, TYPE.LONG, [1 << 21])))), 'too-large', /limit/);
  await rejectsWith(openSlide(file('zero.tif', smallTiff((ifd) => setEntry(ifd, Tag.ImageLength, TYPE.LONG, [0])))), 'corrupt');
  await rejectsWith(openSlide(file('count.tif', smallTiff((ifd) => setEntry(ifd, Tag.ImageWidth, TYPE.LONG, [600])))), 'corrupt', /needs 10/);
  await rejectsWith(openSlide(file('hugetile.tif', smallTiff((ifd) => setEntry(ifd, Tag.TileWidth, TYPE.LONG, [1 << 20])))), 'too-large');
  await rejectsWith(openSlide(file('bits.tif', smallTiff((ifd) => setEntry(ifd, Tag.BitsPerSample, TYPE.SHORT, [16, 16, 16])))), 'unsupported-feature', /16/);
  await rejectsWith(openSlide(file('codec.tif', smallTiff((ifd) => setEntry(ifd, Tag.Compression, TYPE.SHORT, [34712])))), 'unsupported-feature', /compression 34712/);
});

test('IFD loops in the chain and through SubIFDs', async () => {
  // Point the only directory's next-IFD offset back at itself.
  const tiff = smallTiff();
  const ifdAt = tiff.readUInt32LE(4);
  const count = tiff.readUInt16LE(ifdAt);
  tiff.writeUInt32LE(ifdAt, ifdAt + 2 + count * 12);
  await rejectsWith(openSlide(file('loop.tif', tiff)), 'corrupt', /loop/);
  // A SubIFD that names its parent.
  const sub = smallTiff();
  const subAt = sub.readUInt32LE(4);
  const subTiff = smallTiff((ifd) => setEntry(ifd, Tag.SubIFDs, TYPE.LONG, [0]));
  const at = subTiff.readUInt32LE(4);
  const n = subTiff.readUInt16LE(at);
  for (let i = 0; i < n; i++) {
    const e = at + 2 + i * 12;
    if (subTiff.readUInt16LE(e) === Tag.SubIFDs) subTiff.writeUInt32LE(at, e + 8);
  }
  assert.ok(subAt > 0);
  await rejectsWith(openSlide(file('subloop.tif', subTiff)), 'corrupt', /loop/);
});

test('corrupt compressed tiles: JPEG, JPEG 2000, LZW and Deflate', async () => {
  const garbage = Buffer.alloc(500, 0xa5);
  for (const [name, compression, piece] of [
    ['jpeg', Compression.JPEG, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0xff, 0xff, 0xff, 0xff, 3]), garbage])],
    ['jpeg-junk', Compression.JPEG, garbage],
    ['jp2k', Compression.AperioJp2kRGB, Buffer.concat([Buffer.from([0xff, 0x4f, 0xff, 0x51]), garbage])],
    ['lzw', Compression.LZW, garbage],
    ['deflate', Compression.AdobeDeflate, garbage],
  ] as const) {
    const slide = await openSlide(file(`bad-${name}.tif`, smallTiff((ifd) => {
      setEntry(ifd, Tag.Compression, TYPE.SHORT, [compression]);
      ifd.pieces = [piece, piece, piece, piece];
    })));
    await rejectsWith(slide.readRegion(0, 0, 0, 64, 64), 'corrupt', /could not be decoded|corrupt|claims|expected|does not start/);
    await slide.close();
  }
});

test('bad arguments to an open slide', async () => {
  const slide = await openSlide(file('args.tif', smallTiff()));
  await rejectsWith(slide.readRegion(3, 0, 0, 10, 10), 'invalid-argument', /Level 3/);
  await rejectsWith(slide.readRegion(0, 0, 0, 0, 10), 'invalid-argument');
  await rejectsWith(slide.readRegion(0, 0, 0, 100_000, 100_000), 'too-large');
  await rejectsWith(slide.readNativeTile(0, 5, 0), 'invalid-argument');
  await rejectsWith(slide.readAssociatedImage('label'), 'invalid-argument', /none/);
  // Entirely outside the image: transparent, not an error (as OpenSlide).
  const outside = await slide.readRegion(0, -500, -500, 20, 20);
  assert.ok(outside.data.every((b) => b === 0));
  await slide.close();
  await rejectsWith(slide.readRegion(0, 0, 0, 10, 10), 'invalid-argument', /closed/);
});

test('a Hamamatsu NDPI file opens as one (formats/ndpi.test.ts checks it against OpenSlide)', { skip: skipWithoutShared }, async () => {
  const slide = await openSlide(shared('data', 'slides', 'test3-DAPI.ndpi'));
  assert.equal(slide.vendor, 'hamamatsu');
  await slide.close();
});
