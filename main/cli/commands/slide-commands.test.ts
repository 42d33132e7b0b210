// The `info`, `region` and `associated` commands, called through main() as a script would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import { diffRgba } from '../../slide/testing/compare-pixels.js';
import { JPEG_DECODE_TOLERANCE } from '../../testing/jpeg-decode-tolerance.js';
import { runCli } from '../testing/run-cli.js';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';
import { tempDir } from '../../slide/testing/fixtures.js';
import type { SlideInfo } from './info.js';

const CMU = shared('data', 'slides', 'CMU-1-Small-Region.svs');

test('tessera info --json describes the slide', { skip: skipWithoutShared }, async () => {
  const r = await runCli(['info', CMU, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout) as SlideInfo;
  assert.equal(info.vendor, 'aperio');
  assert.deepEqual(info.levels, [{ width: 2220, height: 2967, downsample: 1, tileWidth: 240, tileHeight: 240 }]);
  assert.deepEqual(info.mpp, { x: 0.499, y: 0.499 });
  assert.equal(info.objectivePower, 20);
  assert.deepEqual(info.associatedImages.map((a) => a.name), ['thumbnail', 'label', 'macro']);
  assert.equal(info.properties['aperio.AppMag'], '20');
});

test('tessera info prints one line per property', { skip: skipWithoutShared }, async () => {
  const r = await runCli(['info', CMU]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^vendor: aperio$/m);
  assert.match(r.stdout, /^ {2}0: 2220 x 2967, downsample 1, tiles 240 x 240$/m);
  assert.match(r.stdout, /^mpp: 0\.499 x 0\.499 µm\/px$/m);
  assert.match(r.stdout, /^ {2}macro: 1280 x 431$/m);
  assert.match(r.stdout, /^ {2}tiff\.ImageDescription: Aperio Image Library v11\.2\.1 \\r\\n46000x32914/m);
});

test('tessera region and associated write RGBA PNGs', { skip: skipWithoutShared }, async () => {
  const dir = tempDir();
  try {
    const out = dir.file('r.png');
    const r = await runCli(['region', CMU, '--level', '0', '--x', '2120', '--y', '2867', '--width', '224', '--height', '224', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const { data: ours, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.channels, 4);
    const reference = await sharp(shared('data', 'reference', 'CMU-1-Small-Region', 'region-0-L0-x2120-y2867-224x224.png')).raw().toBuffer();
    // OpenSlide's own crop (exactly, or within the fallback binding's fast-IDCT rounding; alpha exactly).
    const d = diffRgba(ours, reference);
    assert.ok(d.mean <= JPEG_DECODE_TOLERANCE.mean && d.max <= JPEG_DECODE_TOLERANCE.max && d.alphaMax === 0, JSON.stringify(d));
    const label = dir.file('label.png');
    const a = await runCli(['associated', CMU, 'label', '--out', label]);
    assert.equal(a.code, 0, a.stderr);
    const meta = await sharp(label).metadata();
    assert.deepEqual([meta.width, meta.height], [387, 463]);
  } finally {
    dir.remove();
  }
});

test('tessera errors: a message on stderr, no stack, non-zero exit', async () => {
  const dir = tempDir();
  try {
    const junk = dir.file('junk.svs');
    writeFileSync(junk, Buffer.from('this is not a slide at all, just some text'));
    for (const args of [
      ['info', dir.file('missing.svs')],
      ['info', junk],
      ['region', junk, '--x', '0', '--y', '0', '--width', '10', '--height', '10', '--out', dir.file('x.png')],
      ['associated', junk, 'label', '--out', dir.file('y.png')],
    ]) {
      const r = await runCli(args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, /^tessera: .+/);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal(existsSync(dir.file('x.png')), false);
  } finally {
    dir.remove();
  }
});

test('tessera region/associated: bad arguments are refused with a message', { skip: skipWithoutShared }, async () => {
  const dir = tempDir();
  try {
    const cases = [
      ['region', CMU, '--x', 'abc', '--y', '0', '--width', '10', '--height', '10', '--out', dir.file('a.png')],
      ['region', CMU, '--level', '5', '--x', '0', '--y', '0', '--width', '10', '--height', '10', '--out', dir.file('b.png')],
      ['region', CMU, '--x', '0', '--y', '0', '--width', '0', '--height', '10', '--out', dir.file('c.png')],
      ['associated', CMU, 'nonsense', '--out', dir.file('d.png')],
    ];
    for (const args of cases) {
      const r = await runCli(args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, /tessera: /);
    }
  } finally {
    dir.remove();
  }
});

test('tessera info reads a DICOM slide from its folder or any one of its files', { skip: skipWithoutShared }, async () => {
  const folder = shared('data', 'slides', 'dicom-CMU-1-Small-Region');
  for (const target of [folder, `${folder}/level-2-frames-0-4.dcm`]) {
    const r = await runCli(['info', target, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as SlideInfo;
    assert.equal(info.vendor, 'dicom');
    assert.equal(info.levels.length, 12);
    assert.deepEqual(info.levels[0], { width: 2220, height: 2967, downsample: 1, tileWidth: 500, tileHeight: 500 });
    assert.deepEqual(info.mpp, { x: 0.499, y: 0.499 });
    assert.equal(info.properties['dicom.DimensionOrganizationType'], 'TILED_FULL');
  }
});
