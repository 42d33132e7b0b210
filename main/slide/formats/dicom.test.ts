// DICOM VL Whole Slide Microscopy: the real pyramid in ../shared (Google's wsi-to-dicom conversion of
// CMU-1-Small-Region, JPEG frames re-encoded from the SVS) against the SVS itself, and small written
// files for what the sample lacks (offset tables, sparse tiling, label/overview, uncompressed frames).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';
import { openSlide } from '../open-slide.js';
import { SlideError, type SlideErrorCode } from '../slide-errors.js';
import { diffRgba } from '../testing/compare-pixels.js';
import { writeDicom, type DicomItem } from '../testing/dicom-writer.js';
import { tempDir, testCard } from '../testing/fixtures.js';
import { TiledSlide } from '../tiled-slide.js';
import { readDicomHeader } from '../dicom/dicom-dataset.js';
import { FileSource } from '../file-source.js';
import { decodeJpeg } from '../codecs/jpeg.js';
import { JPEG_DECODE_TOLERANCE } from '../../testing/jpeg-decode-tolerance.js';

const DICOM_DIR = shared('data', 'slides', 'dicom-CMU-1-Small-Region');
const SVS = shared('data', 'slides', 'CMU-1-Small-Region.svs');
const dir = tempDir('tessera-dicom-');
after(() => dir.remove());

// Measured (JPEG frames re-encoded by the converter, so compared within a tolerance): whole level 0 vs the
// SVS mean 3.44 / p99 27; a 1000×1000 tissue crop mean 5.58, per-channel bias ≤ 0.26, and after a σ=2 blur
// (which removes re-encoding noise but keeps colour and alignment errors) mean 1.28. A one-pixel shift
// gives a crop mean of 11–15, and a YCbCr/RGB mix-up far more. Levels 1–2 vs the SVS resized, σ=1.5 blur: 2.25, 2.64.
const TOLERANCE = { level0Mean: 4.5, level0P99: 35, cropMean: 7, cropBias: 1, cropBlurredMean: 2, lowerLevelBlurredMean: 3.5 };

async function rejectsWith(work: Promise<unknown>, codes: SlideErrorCode[], pattern?: RegExp): Promise<void> {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof SlideError, `expected a SlideError, got ${String(err)}`);
    assert.ok(codes.includes(err.code), `code ${err.code} (${err.message})`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

async function blurred(data: Buffer, width: number, height: number, sigma: number): Promise<Buffer> {
  return sharp(data, { raw: { width, height, channels: 4 } }).blur(sigma).raw().toBuffer();
}

test('DICOM folder: geometry, MPP and properties match the SVS level 0', { skip: skipWithoutShared }, async () => {
  const slide = await openSlide(DICOM_DIR);
  try {
    assert.equal(slide.vendor, 'dicom');
    assert.equal(slide.levels.length, 12);
    assert.deepEqual([slide.levels[0].width, slide.levels[0].height, slide.levels[0].downsample], [2220, 2967, 1]);
    assert.deepEqual([slide.levels[0].tileWidth, slide.levels[0].tileHeight], [500, 500]);
    assert.deepEqual([slide.levels[1].width, slide.levels[1].height], [1110, 1483]);
    assert.ok(slide.levels.every((l, i) => i === 0 || l.width < slide.levels[i - 1].width));
    assert.deepEqual(slide.mpp, { x: 0.499, y: 0.499 });
    assert.equal(slide.objectivePower, null); // this converter writes no OpticalPathSequence
    assert.deepEqual(slide.associatedImages, []);
    assert.equal(slide.properties['openslide.mpp-x'], '0.499');
    assert.equal(slide.properties['dicom.PixelSpacing'], '0.000499\\0.000499');
    assert.equal(slide.properties['dicom.DimensionOrganizationType'], 'TILED_FULL');
    assert.equal(slide.properties['dicom.TransferSyntaxUID'], '1.2.840.10008.1.2.4.50');
    assert.equal(slide.properties['dicom.SeriesInstanceUID'], '1.2.276.0.7230010.3.1.3.2425734838.4124713.1626788322.499658');
    assert.equal(slide.properties['dicom.ImageType'], 'DERIVED\\PRIMARY\\VOLUME\\NONE');
    // The slide's main file is level 0, whichever file was opened.
    assert.ok(slide instanceof TiledSlide && slide.source.path.endsWith('level-0-frames-0-30.dcm'));
  } finally {
    await slide.close();
  }
});

test('DICOM: any one file of the series opens the whole pyramid', { skip: skipWithoutShared }, async () => {
  const viaFolder = await openSlide(DICOM_DIR);
  const viaFile = await openSlide(join(DICOM_DIR, 'level-5-frames-0-1.dcm'));
  try {
    assert.deepEqual(viaFile.levels, viaFolder.levels);
    assert.deepEqual(viaFile.properties, viaFolder.properties);
  } finally {
    await Promise.all([viaFolder.close(), viaFile.close()]);
  }
});

test('DICOM: pixels match the SVS within the re-encoding tolerance', { skip: skipWithoutShared }, async () => {
  const dcm = await openSlide(DICOM_DIR);
  const svs = await openSlide(SVS);
  try {
    const whole = diffRgba((await dcm.readRegion(0, 0, 0, 2220, 2967)).data, (await svs.readRegion(0, 0, 0, 2220, 2967)).data);
    assert.ok(whole.mean <= TOLERANCE.level0Mean && whole.p99 <= TOLERANCE.level0P99, `level 0: mean ${whole.mean.toFixed(2)}, p99 ${whole.p99}`);
    assert.equal(whole.alphaMax, 0);

    const [x, y, w, h] = [600, 900, 1000, 1000];
    const a = (await dcm.readRegion(0, x, y, w, h)).data;
    const b = (await svs.readRegion(0, x, y, w, h)).data;
    const crop = diffRgba(a, b);
    const bias = [0, 0, 0];
    for (let i = 0; i < a.length; i += 4) for (let c = 0; c < 3; c++) bias[c] += (a[i + c] - b[i + c]) / (w * h);
    const soft = diffRgba(await blurred(a, w, h, 2), await blurred(b, w, h, 2));
    assert.ok(crop.mean <= TOLERANCE.cropMean, `tissue crop mean ${crop.mean.toFixed(2)}`);
    assert.ok(bias.every((v) => Math.abs(v) <= TOLERANCE.cropBias), `colour bias ${bias.map((v) => v.toFixed(2))}`);
    assert.ok(soft.mean <= TOLERANCE.cropBlurredMean, `blurred crop mean ${soft.mean.toFixed(2)}`);

    const full = (await svs.readRegion(0, 0, 0, 2220, 2967)).data;
    for (const level of [1, 2]) {
      const { width, height } = dcm.levels[level];
      const ours = (await dcm.readRegion(level, 0, 0, width, height)).data;
      const ref = await sharp(full, { raw: { width: 2220, height: 2967, channels: 4 } }).resize(width, height, { fit: 'fill' }).raw().toBuffer();
      const d = diffRgba(await blurred(ours, width, height, 1.5), await blurred(ref, width, height, 1.5));
      assert.ok(d.mean <= TOLERANCE.lowerLevelBlurredMean, `level ${level}: blurred mean ${d.mean.toFixed(2)}`);
    }
  } finally {
    await Promise.all([dcm.close(), svs.close()]);
  }
});

test('DICOM: native tiles are the JPEG frames and decode to the engine\'s pixels', { skip: skipWithoutShared }, async () => {
  const slide = await openSlide(DICOM_DIR);
  try {
    const native = await slide.readNativeTile(0, 1, 1);
    assert.ok(native);
    assert.equal(native.encoding, 'jpeg');
    assert.deepEqual([native.bytes[0], native.bytes[1]], [0xff, 0xd8]);
    assert.deepEqual([native.width, native.height], [500, 500]);
    const region = await slide.readRegion(0, 500, 500, 500, 500);
    assert.equal(diffRgba((await decodeJpeg(native.bytes, 500 * 500)).data, region.data).max, 0);
    const { data } = await sharp(native.bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    assert.ok(diffRgba(data, region.data).max <= JPEG_DECODE_TOLERANCE.max);
  } finally {
    await slide.close();
  }
});

// ---- written files ----

const UID = { series: '1.2.826.0.1.3680043.10.1.1', study: '1.2.826.0.1.3680043.10.1.2', wsi: '1.2.840.10008.5.1.4.1.1.77.1.6' };
const JPEG = '1.2.840.10008.1.2.4.50';
const EXPLICIT = '1.2.840.10008.1.2.1';

function wsiElements(kind: string, o: { width: number; height: number; tile: number; frames: number; photometric?: string; extra?: DicomItem }): DicomItem {
  return [
    [0x00080008, 'CS', `ORIGINAL\\PRIMARY\\${kind}\\NONE`],
    [0x00080016, 'UI', UID.wsi],
    [0x00080018, 'UI', `1.2.826.0.1.3680043.10.1.9.${kind.length}.${o.width}`],
    [0x0020000d, 'UI', UID.study],
    [0x0020000e, 'UI', UID.series],
    [0x00280002, 'US', [3]],
    [0x00280004, 'CS', o.photometric ?? 'YBR_FULL_422'],
    [0x00280008, 'IS', String(o.frames)],
    [0x00280010, 'US', [o.tile]],
    [0x00280011, 'US', [o.tile]],
    [0x00280100, 'US', [8]],
    [0x00480006, 'UL', [o.width]],
    [0x00480007, 'UL', [o.height]],
    [0x00480105, 'SQ', [[[0x00480112, 'DS', '20']]]],
    [0x52009229, 'SQ', [[[0x00289110, 'SQ', [[[0x00280030, 'DS', '0.00025\\0.00025']]]]]]],
    ...(o.extra ?? []),
  ];
}

/** Tiles of `raw` (RGB) cut to tile×tile (edges padded white), JPEG-encoded. */
async function jpegTiles(raw: Buffer, width: number, height: number, tile: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let ty = 0; ty < Math.ceil(height / tile); ty++) {
    for (let tx = 0; tx < Math.ceil(width / tile); tx++) {
      const w = Math.min(tile, width - tx * tile);
      const h = Math.min(tile, height - ty * tile);
      const piece = await sharp(raw, { raw: { width, height, channels: 3 } })
        .extract({ left: tx * tile, top: ty * tile, width: w, height: h })
        .extend({ right: tile - w, bottom: tile - h, background: '#ffffff' })
        .jpeg({ quality: 95, chromaSubsampling: '4:4:4' })
        .toBuffer();
      out.push(piece);
    }
  }
  return out;
}

async function writtenSeries(folder: string): Promise<Buffer> {
  mkdirSync(folder, { recursive: true });
  const card = testCard(300, 200);
  const half = await sharp(card, { raw: { width: 300, height: 200, channels: 3 } }).resize(150, 100).raw().toBuffer();
  // Level 0 with a Basic Offset Table, level 1 with an Extended Offset Table (OV, which dicom-parser 1.8 misreads).
  writeFileSync(join(folder, 'a.dcm'), writeDicom({
    transferSyntax: JPEG,
    elements: wsiElements('VOLUME', { width: 300, height: 200, tile: 128, frames: 6, extra: [[0x00209311, 'CS', 'TILED_FULL']] }),
    pixels: { frames: await jpegTiles(card, 300, 200, 128), offsetTable: 'basic' },
  }));
  writeFileSync(join(folder, 'b.dcm'), writeDicom({
    transferSyntax: JPEG,
    elements: wsiElements('VOLUME', { width: 150, height: 100, tile: 128, frames: 2 }),
    pixels: { frames: await jpegTiles(half, 150, 100, 128), offsetTable: 'extended' },
  }));
  // Label: one JPEG frame; overview: uncompressed RGB.
  const label = testCard(64, 32);
  writeFileSync(join(folder, 'label.dcm'), writeDicom({
    transferSyntax: JPEG,
    elements: wsiElements('LABEL', { width: 64, height: 32, tile: 64, frames: 1 }).map((e) => (e[0] === 0x00280010 ? [e[0], e[1], [32]] : e)),
    pixels: { frames: [await sharp(label, { raw: { width: 64, height: 32, channels: 3 } }).jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer()] },
  }));
  const overview = testCard(40, 40);
  writeFileSync(join(folder, 'overview.dcm'), writeDicom({
    transferSyntax: EXPLICIT,
    elements: wsiElements('OVERVIEW', { width: 40, height: 40, tile: 40, frames: 1, photometric: 'RGB' }),
    pixels: { native: overview },
  }));
  // Strangers in the folder: a CT-like DICOM, another series, and a text file.
  writeFileSync(join(folder, 'ct.dcm'), writeDicom({
    transferSyntax: EXPLICIT,
    elements: [[0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.2'], [0x0020000e, 'UI', UID.series], [0x00280010, 'US', [2]], [0x00280011, 'US', [2]]],
    pixels: { native: Buffer.alloc(8) },
  }));
  writeFileSync(join(folder, 'notes.txt'), 'not a slide');
  return card;
}

test('written DICOM series: offset tables, label, overview and pixels', async () => {
  const folder = dir.file('series');
  const card = await writtenSeries(folder);
  for (const path of [folder, join(folder, 'b.dcm')]) {
    const slide = await openSlide(path);
    try {
      assert.deepEqual(slide.levels.map((l) => [l.width, l.height, l.downsample, l.tileWidth]), [[300, 200, 1, 128], [150, 100, 2, 128]]);
      assert.deepEqual(slide.mpp, { x: 0.25, y: 0.25 });
      assert.equal(slide.objectivePower, 20);
      assert.deepEqual(slide.associatedImages, [{ name: 'label', width: 64, height: 32 }, { name: 'macro', width: 40, height: 40 }]);
      const region = await slide.readRegion(0, 0, 0, 300, 200);
      const expected = await sharp(card, { raw: { width: 300, height: 200, channels: 3 } }).ensureAlpha().raw().toBuffer();
      const d = diffRgba(region.data, expected);
      assert.ok(d.mean < 2 && d.p99 <= 8, `level 0: mean ${d.mean}, p99 ${d.p99}`);
      const level1 = await slide.readRegion(1, 0, 0, 150, 100);
      assert.equal(level1.width, 150);
      const macro = await slide.readAssociatedImage('macro');
      const macroExpected = await sharp(testCard(40, 40), { raw: { width: 40, height: 40, channels: 3 } }).ensureAlpha().raw().toBuffer();
      assert.equal(diffRgba(macro.data, macroExpected).max, 0); // uncompressed: exact
      const label = await slide.readAssociatedImage('label');
      assert.deepEqual([label.width, label.height], [64, 32]);
    } finally {
      await slide.close();
    }
  }
});

test('the header reader keeps 64-bit VRs (Extended Offset Table, OV) in step', async () => {
  const folder = dir.file('series-eot');
  await writtenSeries(folder);
  const source = await FileSource.open(join(folder, 'b.dcm'));
  try {
    const header = await readDicomHeader(source);
    assert.equal(header.dataset.bigValues(0x7fe00001)?.length, 2);
    assert.equal(header.dataset.number(0x00480006), 150); // an element after the OV ones parses too
  } finally {
    await source.close();
  }
});

test('TILED_SPARSE: frames placed by their positions, missing tiles transparent', async () => {
  const folder = dir.file('sparse');
  mkdirSync(folder);
  const card = testCard(256, 128);
  const tiles = await jpegTiles(card, 256, 128, 128);
  // Only the right-hand tile is stored.
  const perFrame: DicomItem[] = [[[0x0048021a, 'SQ', [[[0x0048021e, 'SL', [129]], [0x0048021f, 'SL', [1]]]]]]];
  writeFileSync(join(folder, 'sparse.dcm'), writeDicom({
    transferSyntax: JPEG,
    elements: wsiElements('VOLUME', { width: 256, height: 128, tile: 128, frames: 1, extra: [[0x00209311, 'CS', 'TILED_SPARSE'], [0x52009230, 'SQ', perFrame]] }),
    pixels: { frames: [tiles[1]] },
  }));
  const slide = await openSlide(folder);
  try {
    const left = await slide.readRegion(0, 0, 0, 128, 128);
    assert.ok(left.data.every((b) => b === 0));
    const right = await slide.readRegion(0, 128, 0, 128, 128);
    assert.ok(right.data[3] === 255);
    assert.equal(await slide.readNativeTile(0, 0, 0), null);
  } finally {
    await slide.close();
  }
});

test('bad DICOM input ends in a SlideError', { skip: skipWithoutShared }, async () => {
  const level0 = readFileSync(join(DICOM_DIR, 'level-0-frames-0-30.dcm'));
  for (const length of [100, 140, 600, 1200, 1352, 5000, 500_000, level0.length - 4]) {
    const folder = dir.file(`truncated-${length}`);
    mkdirSync(folder);
    const path = join(folder, 'level-0.dcm');
    writeFileSync(path, level0.subarray(0, length));
    await rejectsWith(openSlide(path), ['truncated', 'corrupt', 'unsupported-format'], /truncated|corrupt|not a|DICOM/);
    await rejectsWith(openSlide(folder), ['truncated', 'corrupt', 'unsupported-format'], /truncated|corrupt|not a|DICOM|folder/);
  }
  // A truncated level beside good ones is an error naming it, not a pyramid silently missing a level.
  const mixed = dir.file('mixed');
  mkdirSync(mixed);
  for (const name of readdirSync(DICOM_DIR)) copyFileSync(join(DICOM_DIR, name), join(mixed, name));
  writeFileSync(join(mixed, 'level-1-frames-0-9.dcm'), readFileSync(join(DICOM_DIR, 'level-1-frames-0-9.dcm')).subarray(0, 700));
  await rejectsWith(openSlide(mixed), ['truncated', 'corrupt'], /level-1-frames-0-9\.dcm/);

  const folder = dir.file('bad');
  mkdirSync(folder);
  const ct = join(folder, 'ct.dcm');
  writeFileSync(ct, writeDicom({
    transferSyntax: EXPLICIT,
    elements: [[0x00080016, 'UI', '1.2.840.10008.5.1.4.1.1.2'], [0x0020000e, 'UI', UID.series], [0x00280010, 'US', [2]], [0x00280011, 'US', [2]]],
    pixels: { native: Buffer.alloc(8) },
  }));
  await rejectsWith(openSlide(ct), ['unsupported-format'], /not a whole-slide image/);
  await rejectsWith(openSlide(folder), ['unsupported-format'], /folder without any DICOM whole-slide/);
  let seed = 11;
  const random = Buffer.from(Buffer.alloc(50_000).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 0xff));
  await rejectsWith(openSlide(writeTo(folder, 'random.dcm', random)), ['unsupported-format'], /not a slide format/);
  const fakeMagic = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), random]);
  await rejectsWith(openSlide(writeTo(folder, 'magic.dcm', fakeMagic)), ['corrupt', 'truncated', 'too-large', 'unsupported-feature']);
  const empty = dir.file('empty-folder');
  mkdirSync(empty);
  await rejectsWith(openSlide(empty), ['unsupported-format'], /folder/);
});

test('DICOM: a damaged level-0 file is an error naming it, never a slide with the next level\'s size and MPP', { skip: skipWithoutShared }, async () => {
  const level0 = 'level-0-frames-0-30.dcm';
  const bytes = readFileSync(join(DICOM_DIR, level0));
  const damage: [string, Buffer][] = [
    ['header-truncated', bytes.subarray(0, 700)],
    ['preamble-only', bytes.subarray(0, 100)],
    ['empty', Buffer.alloc(0)],
    ['pixels-truncated', bytes.subarray(0, 500_000)],
    ['header-overwritten', Buffer.concat([bytes.subarray(0, 132), Buffer.alloc(2000, 0xff), bytes.subarray(2132)])],
  ];
  for (const [name, damaged] of damage) {
    const folder = dir.file(`damaged-level-0-${name}`);
    mkdirSync(folder);
    for (const f of readdirSync(DICOM_DIR)) copyFileSync(join(DICOM_DIR, f), join(folder, f));
    writeFileSync(join(folder, level0), damaged);
    const message = new RegExp(level0.replace(/\./g, '\\.'));
    // The folder, and any other file of the series (which opens the whole pyramid), fail naming level 0.
    await rejectsWith(openSlide(folder), ['truncated', 'corrupt'], message);
    await rejectsWith(openSlide(join(folder, 'level-1-frames-0-9.dcm')), ['truncated', 'corrupt'], message);
  }
});

function writeTo(folder: string, name: string, bytes: Buffer): string {
  const path = join(folder, name);
  writeFileSync(path, bytes);
  return path;
}
