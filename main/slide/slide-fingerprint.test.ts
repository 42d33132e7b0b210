import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { openSlide } from './open-slide.js';
import { slideFingerprint } from './slide-fingerprint.js';
import { tempDir } from './testing/fixtures.js';

test('slide fingerprints follow the content, not the path', { skip: skipWithoutShared }, async () => {
  const original = shared('data', 'slides', 'CMU-1-Small-Region.svs');
  const dir = tempDir();
  try {
    const copy = dir.file('renamed.svs');
    copyFileSync(original, copy);
    const changed = dir.file('changed.svs');
    const bytes = readFileSync(original);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(changed, bytes);
    const a = await slideFingerprint(original);
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(await slideFingerprint(copy), a);
    assert.notEqual(await slideFingerprint(changed), a);
    const slide = await openSlide(copy);
    assert.equal(await slideFingerprint(slide), a);
    await slide.close();
    assert.notEqual(await slideFingerprint(shared('data', 'slides', 'TCGA-CR-7395-01A-01-TS1.svs')), a);
  } finally {
    dir.remove();
  }
});

test('a DICOM slide has one fingerprint whether given as its folder, a file of it, or an open reader', { skip: skipWithoutShared }, async () => {
  const folder = shared('data', 'slides', 'dicom-CMU-1-Small-Region');
  const slide = await openSlide(`${folder}/level-4-frames-0-1.dcm`);
  try {
    assert.equal(await slideFingerprint(folder), await slideFingerprint(slide));
  } finally {
    await slide.close();
  }
});
