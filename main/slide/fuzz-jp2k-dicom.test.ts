// Mutation fuzzing beyond the JPEG SVS of fuzz.test.ts: the JPEG 2000 SVS (TCGA-CR-7395, tiles decoded by
// OpenJPEG in the worker pool) and one DICOM whole-slide level file (dicom-CMU-1-Small-Region level 1, 9
// frames). Deterministic (seeded) mutations of directories, tag values, DICOM elements, codestreams, plus
// truncations. Opening and reading may fail only with a SlideError, each step within a time limit. Each
// slide gets a time budget (the case count reached is printed), so the file stays within ~20 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom, type Random } from '../common/seeded-random.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { openSlide } from './open-slide.js';
import type { SlideReader } from './slide-reader.js';
import { tempDir } from './testing/fixtures.js';
import { fuzzStep as step } from './testing/fuzz-step.js';

const MAX_CASES = 400;
const BUDGET_MS = 9000;

/** Where the classic-TIFF directories of `svs` are: [offset, entry count]. */
function tiffDirectories(svs: Buffer): [number, number][] {
  const out: [number, number][] = [];
  let at = svs.readUInt32LE(4);
  while (at !== 0 && out.length < 64) {
    const n = svs.readUInt16LE(at);
    out.push([at, n]);
    at = svs.readUInt32LE(at + 2 + n * 12);
  }
  return out;
}

/** Offsets of JPEG 2000 codestream starts (SOC FF4F + SIZ FF51) in the file: the tile data. */
function codestreams(buf: Buffer): number[] {
  const out: number[] = [];
  for (let at = buf.indexOf(Buffer.from([0xff, 0x4f, 0xff, 0x51])); at >= 0 && out.length < 4096; at = buf.indexOf(Buffer.from([0xff, 0x4f, 0xff, 0x51]), at + 4)) out.push(at);
  return out;
}

function mutateTiff(original: Buffer, dirs: [number, number][], streams: number[], random: Random): Buffer {
  const pick = (n: number): number => Math.floor(random() * n);
  const buf = Buffer.from(original);
  const [dirAt, count] = dirs[pick(dirs.length)];
  const entry = dirAt + 2 + pick(count) * 12;
  switch (pick(7)) {
    case 0: // a tag's value or offset: random, small, or just past the end
      buf.writeUInt32LE([pick(2 ** 32), pick(4096), buf.length + pick(100), 0xffffffff][pick(4)], entry + 8);
      break;
    case 1: // a tag's type or count
      if (random() < 0.5) buf.writeUInt16LE(pick(20), entry + 2);
      else buf.writeUInt32LE([pick(2 ** 32), pick(1 << 20), 0, 1][pick(4)], entry + 4);
      break;
    case 2: // bytes in and around a directory (counts, next pointers)
      for (let i = 0, n = 1 + pick(8); i < n; i++) buf[dirAt + pick(count * 12 + 6)] = pick(256);
      break;
    case 3: // a JPEG 2000 codestream's main header (SIZ: sizes, components; COD: levels, code blocks)
    case 4: {
      const at = streams.length > 0 ? streams[pick(streams.length)] : pick(buf.length);
      for (let i = 0, n = 1 + pick(6); i < n; i++) buf[Math.min(buf.length - 1, at + 4 + pick(80))] = pick(256);
      break;
    }
    case 5: // tile data anywhere
      for (let i = 0, n = 1 + pick(64); i < n; i++) buf[pick(buf.length)] = pick(256);
      break;
    default: // truncation
      return buf.subarray(0, pick(buf.length));
  }
  return buf;
}

/** Offsets of the DICOM data elements up to the pixel data (explicit VR little endian after the preamble). */
function dicomElements(buf: Buffer): number[] {
  const out: number[] = [];
  let at = 132;
  while (at + 8 <= buf.length && out.length < 512) {
    out.push(at);
    const group = buf.readUInt16LE(at);
    const element = buf.readUInt16LE(at + 2);
    if (group === 0x7fe0 && element === 0x0010) break; // pixel data: stop
    const vr = buf.toString('latin1', at + 4, at + 6);
    const long = ['OB', 'OD', 'OF', 'OL', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'OV', 'SV', 'UV'].includes(vr);
    const length = long ? buf.readUInt32LE(at + 8) : buf.readUInt16LE(at + 6);
    if (length === 0xffffffff) {
      // A sequence of undefined length: step inside it (items are mutated as plain bytes).
      at += 12;
      continue;
    }
    at += (long ? 12 : 8) + length;
  }
  return out;
}

function mutateDicom(original: Buffer, elements: number[], random: Random): Buffer {
  const pick = (n: number): number => Math.floor(random() * n);
  const buf = Buffer.from(original);
  const el = elements[pick(elements.length)];
  const pixelAt = elements[elements.length - 1];
  switch (pick(6)) {
    case 0: // an element's length: random, zero, huge, or odd
      if (random() < 0.5) buf.writeUInt16LE([pick(0x10000), 0, 0xffff, 1][pick(4)], el + 6);
      else buf.writeUInt32LE([pick(2 ** 32), 0xffffffff, buf.length, 3][pick(4)], el + 8);
      break;
    case 1: // an element's tag or VR
      for (let i = 0, n = 1 + pick(3); i < n; i++) buf[el + pick(6)] = pick(256);
      break;
    case 2: // an element's value (rows, columns, frames, transfer syntax, offsets…)
      for (let i = 0, n = 1 + pick(8); i < n; i++) buf[Math.min(buf.length - 1, el + 8 + pick(16))] = pick(256);
      break;
    case 3: // pixel data: the item/fragment structure and the frames' codestreams
      for (let i = 0, n = 1 + pick(32); i < n; i++) buf[Math.min(buf.length - 1, pixelAt + pick(Math.max(1, buf.length - pixelAt)))] = pick(256);
      break;
    case 4: // the preamble's magic or the file meta group
      buf[128 + pick(Math.min(200, buf.length - 128))] = pick(256);
      break;
    default: // truncation
      return buf.subarray(0, pick(buf.length));
  }
  return buf;
}

interface Stats {
  cases: number;
  opened: number;
  reads: number;
  failedReads: number;
}

/** Opens each mutation and reads from it until MAX_CASES or the time budget; returns what happened. */
async function fuzz(name: string, mutations: () => Buffer, pathFor: (i: number) => string, random: Random): Promise<Stats> {
  const stats: Stats = { cases: 0, opened: 0, reads: 0, failedReads: 0 };
  const deadline = Date.now() + BUDGET_MS;
  for (let i = 0; i < MAX_CASES && Date.now() < deadline; i++) {
    stats.cases++;
    const path = pathFor(i);
    writeFileSync(path, mutations());
    let slide: SlideReader | null = null;
    const opened = await step(`${name} case ${i}: open`, async () => {
      slide = await openSlide(path);
    });
    if (!opened || !slide) continue;
    const s: SlideReader = slide;
    stats.opened++;
    try {
      const level = s.levels.length - 1;
      const { width, height } = s.levels[0];
      const reads: [string, () => Promise<unknown>][] = [
        ['region', () => s.readRegion(0, Math.floor(random() * width), Math.floor(random() * height), 256, 256)],
        ['edge region', () => s.readRegion(level, Math.max(0, s.levels[level].width - 100), Math.max(0, s.levels[level].height - 100), 200, 200)],
        ['native tile', () => s.readNativeTile(0, 0, 0)],
      ];
      if (random() < 0.2) {
        for (const a of s.associatedImages) reads.push([`associated ${a.name}`, () => s.readAssociatedImage(a.name)]);
      }
      for (const [what, read] of reads) {
        stats.reads++;
        if (!(await step(`${name} case ${i}: ${what}`, read))) stats.failedReads++;
      }
    } finally {
      await s.close();
    }
  }
  console.log(`fuzz ${name}: ${stats.opened}/${stats.cases} opened, ${stats.failedReads}/${stats.reads} reads failed with SlideError`);
  return stats;
}

test('fuzz: mutations of the JPEG 2000 SVS (TCGA-CR-7395) fail only with SlideError', { skip: skipWithoutShared, timeout: 60_000 }, async () => {
  const original = readFileSync(shared('data', 'slides', 'TCGA-CR-7395-01A-01-TS1.svs'));
  const dirs = tiffDirectories(original);
  const streams = codestreams(original);
  assert.ok(streams.length > 0, 'no JPEG 2000 codestreams found in the JP2K SVS');
  const random = seededRandom(20240817);
  const dir = tempDir('tessera-fuzz-jp2k-');
  try {
    const stats = await fuzz('jp2k-svs', () => mutateTiff(original, dirs, streams, random), (i) => dir.file(`case-${i % 4}.svs`), random);
    assert.ok(stats.cases >= 10, `only ${stats.cases} cases ran in the time budget`);
    assert.ok(stats.opened > stats.cases / 4, `only ${stats.opened} of ${stats.cases} mutated files opened`);
  } finally {
    dir.remove();
  }
});

test('fuzz: mutations of a DICOM whole-slide level file fail only with SlideError', { skip: skipWithoutShared, timeout: 60_000 }, async () => {
  const original = readFileSync(shared('data', 'slides', 'dicom-CMU-1-Small-Region', 'level-1-frames-0-9.dcm'));
  const elements = dicomElements(original);
  assert.ok(elements.length > 10, `only ${elements.length} DICOM elements found`);
  const random = seededRandom(20240818);
  const dir = tempDir('tessera-fuzz-dicom-');
  try {
    // One folder per case slot: the level file is opened alone, not with sibling levels.
    const folders = [0, 1, 2, 3].map((k) => {
      const f = dir.file(`slot-${k}`);
      mkdirSync(f);
      return f;
    });
    const stats = await fuzz('dicom', () => mutateDicom(original, elements, random), (i) => join(folders[i % 4], 'level.dcm'), random);
    assert.ok(stats.cases >= 10, `only ${stats.cases} cases ran in the time budget`);
    assert.ok(stats.opened > stats.cases / 4, `only ${stats.opened} of ${stats.cases} mutated files opened`);
  } finally {
    dir.remove();
  }
});
