// Hamamatsu NDPI against OpenSlide 3.4.1 on the real test3-DAPI.ndpi in ../shared: geometry, MPP, objective
// power, every property and the macro image's size exactly; pixels of every reference crop, Deep Zoom tile
// and the macro within the tolerances below. Then the NDPI mechanics (tiles are blocks of restart
// intervals; a missing McuStarts tag is made up for by scanning) and bad input (cut and patched copies).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';
import { runCli } from '../../cli/testing/run-cli.js';
import { DeepZoomTileService } from '../../tiles/deepzoom-tile-service.js';
import { findRestartMarkers } from '../ndpi/ndpi-jpeg.js';
import { isNdpiFile, readNdpiTiff } from '../ndpi/ndpi-tiff.js';
import { FileSource } from '../file-source.js';
import { TiffTags } from '../tiff/tiff-file.js';
import { openSlide } from '../open-slide.js';
import { SlideError } from '../slide-errors.js';
import { diffRgba, loadRgba } from '../testing/compare-pixels.js';
import { tempDir } from '../testing/fixtures.js';
import { TiledSlide } from '../tiled-slide.js';
import { supportedFormatsText } from './index.js';
import { formatDouble } from '../glib-double.js';
import { NdpiTag } from './ndpi.js';
import { decodeJpeg } from '../codecs/jpeg.js';
import { ACCURATE_JPEG_DECODE, FAST_IDCT_TOLERANCE, JPEG_DECODE_TOLERANCE } from '../../testing/jpeg-decode-tolerance.js';

interface Reference {
  vendor: string;
  level_dimensions: [number, number][];
  level_downsamples: number[];
  mpp_x: string | null;
  mpp_y: string | null;
  objective_power: string | null;
  properties: Record<string, string>;
  associated_images: Record<string, [number, number]>;
  regions: { file: string; level: number; x: number; y: number; w: number; h: number }[];
  deepzoom: { level_count: number; level_tiles: [number, number][]; tiles: { file: string; level: number; col: number; row: number }[] };
}

const SLIDE = shared('data', 'slides', 'test3-DAPI.ndpi');
const REF_DIR = shared('data', 'reference', 'test3-DAPI');
const reference = (): Reference => JSON.parse(readFileSync(`${REF_DIR}/openslide.json`, 'utf8')) as Reference;

// Measured against OpenSlide (mean / p99 / max |Δ| per RGB channel). With libjpeg-turbo's accurate IDCT
// and DCT scaling (a TurboJPEG library through koffi, as on Linux):
//   stored levels 0–3 at whole-pixel positions (regions 0, 1, 2, 5): 0 / 0 / 0 — bit-identical;
//   level 3 at a fractional position (region 4): 0.07 / 1 / 1 (the bilinear sub-pixel shift's rounding);
//   level 4 = level 3 at 1/2 by libjpeg's DCT scaling, as OpenSlide (region 3): 0.05 / 1 / 1;
//   macro image: 0 / 0 / 0.
// With the fallback binding (fast integer IDCT, no DCT scaling: block means of the full decode instead):
//   stored 0.62 / 3 / 4, fractional 0.66 / 3 / 6, level 4 0.47 / 3 / 11, macro max 6.
const TOLERANCE = ACCURATE_JPEG_DECODE
  ? { stored: { mean: 0, max: 0 }, fractional: { mean: 0.5, max: 2 }, scaled: { mean: 0.1, p99: 1, max: 2 } }
  : {
      stored: FAST_IDCT_TOLERANCE,
      fractional: { mean: FAST_IDCT_TOLERANCE.mean + 0.5, max: FAST_IDCT_TOLERANCE.max + 2 },
      scaled: { mean: 1, p99: 4, max: 16 },
    };
const STORED_LEVELS = 4;

test('test3-DAPI.ndpi: geometry, MPP, objective power, properties and associated images match OpenSlide', { skip: skipWithoutShared }, async () => {
  const ref = reference();
  const slide = await openSlide(SLIDE);
  try {
    assert.ok(slide instanceof TiledSlide);
    assert.equal(slide.vendor, ref.vendor);
    assert.deepEqual(slide.levels.map((l) => [l.width, l.height]), ref.level_dimensions);
    assert.deepEqual(slide.levels.map((l) => l.downsample), ref.level_downsamples);
    assert.deepEqual(slide.mpp, { x: Number(ref.mpp_x), y: Number(ref.mpp_y) });
    assert.equal(slide.objectivePower, Number(ref.objective_power));
    for (const [key, value] of Object.entries(ref.properties)) assert.equal(slide.properties[key], value, `property ${key}`);
    // Nothing OpenSlide lacks, either: every property is one of its.
    assert.deepEqual(Object.keys(slide.properties).filter((k) => !(k in ref.properties)), []);
    assert.deepEqual(Object.fromEntries(slide.associatedImages.map((a) => [a.name, [a.width, a.height]])), ref.associated_images);
  } finally {
    await slide.close();
  }
});

test('test3-DAPI.ndpi: every reference region matches OpenSlide within the stated tolerance', { skip: skipWithoutShared }, async () => {
  const ref = reference();
  const slide = await openSlide(SLIDE);
  try {
    for (const r of ref.regions) {
      const expected = await loadRgba(`${REF_DIR}/${r.file}`);
      const ours = await slide.readRegion(r.level, r.x, r.y, r.w, r.h);
      assert.deepEqual([ours.width, ours.height, ours.channels], [expected.width, expected.height, 4]);
      const d = diffRgba(ours.data, expected.data);
      const note = `${r.file}: mean ${d.mean.toFixed(3)}, p99 ${d.p99}, max ${d.max}, alpha max ${d.alphaMax}`;
      assert.equal(d.alphaMax, 0, note);
      const ds = slide.levels[r.level].downsample;
      if (r.level >= STORED_LEVELS) {
        assert.ok(d.mean <= TOLERANCE.scaled.mean && d.p99 <= TOLERANCE.scaled.p99 && d.max <= TOLERANCE.scaled.max, note);
      } else if (!Number.isInteger(r.x / ds) || !Number.isInteger(r.y / ds)) {
        assert.ok(d.mean <= TOLERANCE.fractional.mean && d.max <= TOLERANCE.fractional.max, note);
      } else {
        assert.ok(d.mean <= TOLERANCE.stored.mean && d.max <= TOLERANCE.stored.max, note);
      }
    }
  } finally {
    await slide.close();
  }
});

test('test3-DAPI.ndpi: the macro image matches OpenSlide\'s', { skip: skipWithoutShared }, async () => {
  const slide = await openSlide(SLIDE);
  try {
    const expected = await loadRgba(`${REF_DIR}/associated-macro.png`);
    const ours = await slide.readAssociatedImage('macro');
    assert.deepEqual([ours.width, ours.height], [expected.width, expected.height]);
    assert.ok(diffRgba(ours.data, expected.data).max <= JPEG_DECODE_TOLERANCE.max);
  } finally {
    await slide.close();
  }
});

test('test3-DAPI.ndpi: Deep Zoom tiles match OpenSlide\'s DeepZoomGenerator', { skip: skipWithoutShared }, async () => {
  const ref = reference();
  const slide = await openSlide(SLIDE);
  try {
    const service = new DeepZoomTileService(slide);
    assert.equal(service.levelCount, ref.deepzoom.level_count);
    assert.deepEqual(service.levelTiles.map((t) => [t.cols, t.rows]), ref.deepzoom.level_tiles);
    for (const t of ref.deepzoom.tiles) {
      const mine = await sharp(await service.getTile(t.level, t.col, t.row, 'png')).raw().toBuffer({ resolveWithObject: true });
      const theirs = await sharp(`${REF_DIR}/${t.file}`).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([mine.info.width, mine.info.height, mine.info.channels], [theirs.info.width, theirs.info.height, 3], t.file);
      let sum = 0;
      for (let i = 0; i < mine.data.length; i++) sum += Math.abs(mine.data[i] - theirs.data[i]);
      const mean = sum / mine.data.length;
      // As deepzoom-fidelity.test.ts: 1:1 tiles of a stored level near-exact, resampled ones ≤ 5, tiny ones ≤ 25.
      const limit = t.level === ref.deepzoom.level_count - 1 ? JPEG_DECODE_TOLERANCE.mean + 0.01 : Math.min(mine.info.width, mine.info.height) >= 64 ? 5 : 25;
      assert.ok(mean <= limit, `${t.file}: mean |Δ| ${mean.toFixed(3)} > ${limit}`);
    }
  } finally {
    await slide.close();
  }
});

test('test3-DAPI.ndpi: a region decodes only the virtual tiles it covers, and native tiles are standalone JPEGs', { skip: skipWithoutShared }, async () => {
  const slide = await openSlide(SLIDE);
  try {
    assert.ok(slide instanceof TiledSlide);
    // Level 0 is one 3968 × 4864 JPEG cut into 608 restart intervals of 3968 × 8, which OpenSlide's
    // properties state as the tile size; Tessera's tiles are blocks of 8 of them (virtual-tiles.ts).
    assert.deepEqual([slide.levels[0].tileWidth, slide.levels[0].tileHeight], [3968, 64]);
    assert.deepEqual([slide.properties['openslide.level[0].tile-width'], slide.properties['openslide.level[0].tile-height']], ['3968', '8']);
    await slide.readRegion(0, 1000, 2000, 100, 20); // rows 2000–2019: intervals 250–252, virtual tile 31
    assert.equal(slide.cache.size, 1);
    const native = await slide.readNativeTile(0, 0, 37);
    assert.ok(native);
    assert.deepEqual([native.encoding, native.width, native.height], ['jpeg', 3968, 64]);
    const decoded = { data: (await decodeJpeg(native.bytes, 3968 * 64)).data, info: { width: 3968, height: 64 } };
    const region = await slide.readRegion(0, 0, 37 * 64, 3968, 64);
    assert.deepEqual([decoded.info.width, decoded.info.height], [3968, 64]);
    assert.equal(diffRgba(decoded.data, region.data).max, 0);
    // Levels OpenSlide derives by scaling in the decoder have no stored tiles to pass through.
    assert.equal(await slide.readNativeTile(4, 0, 0), null);
  } finally {
    await slide.close();
  }
});

test('tessera info prints vendor hamamatsu and OpenSlide\'s levels', { skip: skipWithoutShared }, async () => {
  const r = await runCli(['info', SLIDE]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /vendor: hamamatsu/);
  assert.match(r.stdout, /levels: 7/);
  for (const [w, h] of reference().level_dimensions) assert.match(r.stdout, new RegExp(`${w} x ${h}`));
  assert.match(r.stdout, /macro: 1188 x 406/);
});

// ---- NDPI mechanics and bad input on copies in a temp dir ----------------------------------------

/** Byte position of each entry of `tag` in the file's NDPI directories (classic entries, 8-byte next offsets). */
function entryPositions(file: Buffer, tag: number): number[] {
  const found: number[] = [];
  let dir = Number(file.readBigUInt64LE(4));
  while (dir !== 0) {
    const count = file.readUInt16LE(dir);
    for (let i = 0; i < count; i++) if (file.readUInt16LE(dir + 2 + i * 12) === tag) found.push(dir + 2 + i * 12);
    dir = Number(file.readBigUInt64LE(dir + 2 + count * 12));
  }
  return found;
}

async function rejectsWithSlideError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof SlideError, `not a SlideError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    assert.match(err.message, message);
    return true;
  });
}

test('without McuStarts tags, the restart markers are found by scanning and the pixels are the same', { skip: skipWithoutShared }, async () => {
  const dir = tempDir('tessera-ndpi-');
  try {
    const file = readFileSync(SLIDE);
    const positions = entryPositions(file, NdpiTag.McuStarts);
    assert.equal(positions.length, 4);
    for (const at of positions) file.writeUInt16LE(65000, at); // an unknown private tag now
    writeFileSync(dir.file('no-mcu-starts.ndpi'), file);
    const [patched, original] = await Promise.all([openSlide(dir.file('no-mcu-starts.ndpi')), openSlide(SLIDE)]);
    try {
      for (const [level, x, y, w, h] of [[0, 3363, 4389, 224, 224], [1, 1000, 4000, 300, 200], [3, 0, 0, 496, 608]]) {
        const a = await patched.readRegion(level, x, y, w, h);
        const b = await original.readRegion(level, x, y, w, h);
        assert.equal(diffRgba(a.data, b.data).max, 0, `level ${level}`);
      }
    } finally {
      await Promise.all([patched.close(), original.close()]);
    }
  } finally {
    dir.remove();
  }
});

test('a truncated NDPI is refused with a SlideError that says so, quickly', { skip: skipWithoutShared }, async () => {
  const dir = tempDir('tessera-ndpi-');
  try {
    const file = readFileSync(SLIDE);
    // Directories follow their image data: a cut at 3,400,000 keeps the four levels' directories but not the macro's.
    for (const [cut, pattern] of [[3_400_000, /truncated/], [2_500_000, /truncated|outside the file|past/]] as const) {
      const path = dir.file(`cut-${cut}.ndpi`);
      writeFileSync(path, file.subarray(0, cut));
      const started = Date.now();
      await assert.rejects(openSlide(path), (err: unknown) => {
        assert.ok(err instanceof SlideError, String(err));
        assert.ok(err.code === 'truncated' || err.code === 'corrupt', err.code);
        assert.match(err.message, pattern);
        return true;
      });
      assert.ok(Date.now() - started < 2000);
    }
    // The level's JPEG itself cut short (its strip byte count runs past the end).
    const longStrip = Buffer.from(file);
    const [count0] = entryPositions(longStrip, 279);
    longStrip.writeUInt32LE(longStrip.length, count0 + 8);
    writeFileSync(dir.file('long-strip.ndpi'), longStrip);
    await rejectsWithSlideError(openSlide(dir.file('long-strip.ndpi')), 'truncated', /JPEG of NDPI directory 0 .* past the end of the file/);
  } finally {
    dir.remove();
  }
});

test('restart-marker offsets that point past the data, or at no marker, give a SlideError', { skip: skipWithoutShared }, async () => {
  const dir = tempDir('tessera-ndpi-');
  try {
    const file = readFileSync(SLIDE);
    const [mcu0] = entryPositions(file, NdpiTag.McuStarts);
    const table = file.readUInt32LE(mcu0 + 8); // level 0's 608 offsets, relative to its JPEG
    const pastEnd = Buffer.from(file);
    pastEnd.writeUInt32LE(50_000_000, table + 5 * 4);
    pastEnd.writeUInt32LE(50_000_001, table + 6 * 4);
    writeFileSync(dir.file('past-end.ndpi'), pastEnd);
    await rejectsWithSlideError(openSlide(dir.file('past-end.ndpi')), 'corrupt', /restart-marker offsets .*McuStarts.* past its JPEG data/);

    // An offset inside the data but not after a marker: the slide opens; reading that tile fails, others work.
    const misplaced = Buffer.from(file);
    misplaced.writeUInt32LE(misplaced.readUInt32LE(table + 10 * 4) + 7, table + 10 * 4);
    writeFileSync(dir.file('misplaced.ndpi'), misplaced);
    const slide = await openSlide(dir.file('misplaced.ndpi'));
    try {
      await rejectsWithSlideError(slide.readRegion(0, 0, 80, 64, 8), 'corrupt', /no restart marker at byte/);
      await slide.readRegion(0, 0, 0, 64, 8);
    } finally {
      await slide.close();
    }
  } finally {
    dir.remove();
  }
});

test('an NDPI file renamed .tif is still read as NDPI; a non-NDPI TIFF is not claimed', { skip: skipWithoutShared }, async () => {
  const dir = tempDir('tessera-ndpi-');
  try {
    copyFileSync(SLIDE, dir.file('slide.tif'));
    const slide = await openSlide(dir.file('slide.tif'));
    assert.equal(slide.vendor, 'hamamatsu');
    await slide.close();
    const svs = await openSlide(shared('data', 'slides', 'CMU-1-Small-Region.svs'));
    assert.equal(svs.vendor, 'aperio');
    await svs.close();
  } finally {
    dir.remove();
  }
});

test('NDPI directories take the high 32 bits of offsets and LONG values from their value extensions (files over 4 GB)', async () => {
  // Header with an 8-byte first-directory offset; one directory: ImageWidth LONG 5 with extension 1 (so 2^32 + 5),
  // the format flag, and ImageDescription ASCII "ab" (3 bytes: stored out of line in NDPI even when it would fit).
  const file = Buffer.alloc(100);
  file.write('II', 0, 'latin1');
  file.writeUInt16LE(42, 2);
  file.writeBigUInt64LE(16n, 4);
  file.writeUInt16LE(3, 16);
  const entry = (i: number, tag: number, type: number, count: number, value: number) => {
    const at = 18 + i * 12;
    file.writeUInt16LE(tag, at);
    file.writeUInt16LE(type, at + 2);
    file.writeUInt32LE(count, at + 4);
    file.writeUInt32LE(value, at + 8);
  };
  entry(0, 256, 4, 1, 5);
  entry(1, NdpiTag.FormatFlag, 3, 1, 1);
  entry(2, 270, 2, 3, 90);
  file.writeBigUInt64LE(0n, 18 + 36); // next directory: none
  file.writeUInt32LE(1, 18 + 44); // value extensions: ImageWidth's high word 1, the others 0
  file.write('ab\0', 90, 'latin1');
  const dir = tempDir('tessera-ndpi-');
  try {
    writeFileSync(dir.file('tiny.ndpi'), file);
    const source = await FileSource.open(dir.file('tiny.ndpi'));
    try {
      assert.equal(await isNdpiFile(source), true);
      const tiff = await readNdpiTiff(source);
      const tags = new TiffTags(tiff.directories[0], true, source.path);
      assert.equal(tags.number(256), 2 ** 32 + 5);
      assert.equal(tags.string(270), 'ab');
    } finally {
      await source.close();
    }
  } finally {
    dir.remove();
  }
});

test('restart markers are found in entropy-coded data, not stuffed bytes or fill bytes', () => {
  const data = Buffer.from([1, 0xff, 0x00, 2, 0xff, 0xd0, 3, 0xff, 0xff, 0xd1, 4, 0xff, 0xd9]);
  assert.deepEqual(findRestartMarkers(data, data.length, 10), [6, 10]);
  assert.deepEqual(findRestartMarkers(data, data.length, 1), [6]);
  // A marker whose 0xFF lies past scanLength belongs to the next chunk.
  assert.deepEqual(findRestartMarkers(data, 5, 10), [6]);
  assert.deepEqual(findRestartMarkers(data, 4, 10), []);
});

test('doubles are formatted as OpenSlide (glib %.17g) formats them', () => {
  assert.equal(formatDouble(40), '40');
  assert.equal(formatDouble(10000 / 43826), '0.2281750559028887');
  assert.equal(formatDouble(Math.fround(35.16)), '35.159999847412109');
  assert.equal(formatDouble(0.1), '0.10000000000000001');
  assert.equal(formatDouble(1.5e-7), '1.4999999999999999e-07');
  assert.equal(formatDouble(-2), '-2');
});

test('the supported-format list names NDPI with its extension', () => {
  assert.match(supportedFormatsText(), /Hamamatsu NDPI \(\.ndpi\)/);
  assert.match(supportedFormatsText(), /Aperio SVS \(\.svs\)/);
});
