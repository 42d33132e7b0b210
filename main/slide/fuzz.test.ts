// Mutation fuzzing of a real slide (CMU-1-Small-Region.svs): 200 deterministic mutations of its
// directories, tag values and tile data, plus truncations. Opening and reading regions, native tiles and
// associated images may fail only with a SlideError, and each step must finish within a time limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { seededRandom } from '../common/seeded-random.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { openSlide } from './open-slide.js';
import type { SlideReader } from './slide-reader.js';
import { tempDir } from './testing/fixtures.js';
import { fuzzStep as step } from './testing/fuzz-step.js';

const CASES = 200;

/** Where the classic-TIFF directories of `svs` are: [offset, entry count]. */
function directories(svs: Buffer): [number, number][] {
  const out: [number, number][] = [];
  let at = svs.readUInt32LE(4);
  while (at !== 0 && out.length < 64) {
    const n = svs.readUInt16LE(at);
    out.push([at, n]);
    at = svs.readUInt32LE(at + 2 + n * 12);
  }
  return out;
}

function mutate(original: Buffer, dirs: [number, number][], random: () => number): Buffer {
  const pick = (n: number): number => Math.floor(random() * n);
  const buf = Buffer.from(original);
  const [dirAt, count] = dirs[pick(dirs.length)];
  const entry = dirAt + 2 + pick(count) * 12;
  switch (pick(6)) {
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
    case 3: // tile data anywhere
      for (let i = 0, n = 1 + pick(64); i < n; i++) buf[pick(buf.length)] = pick(256);
      break;
    case 4: // the header
      buf[pick(8)] = pick(256);
      break;
    default: // truncation
      return buf.subarray(0, pick(buf.length));
  }
  return buf;
}

test(`fuzz: ${CASES} mutations of CMU-1-Small-Region.svs fail only with SlideError`, { skip: skipWithoutShared, timeout: 120_000 }, async () => {
  const original = readFileSync(shared('data', 'slides', 'CMU-1-Small-Region.svs'));
  const dirs = directories(original);
  const random = seededRandom(20240601);
  const dir = tempDir('tessera-fuzz-');
  const stats = { opened: 0, reads: 0, failedReads: 0 };
  try {
    for (let i = 0; i < CASES; i++) {
      const path = dir.file(`case-${i % 4}.svs`);
      writeFileSync(path, mutate(original, dirs, random));
      let slide: SlideReader | null = null;
      const opened = await step(`case ${i}: open`, async () => {
        slide = await openSlide(path);
      });
      if (!opened || !slide) continue;
      const s: SlideReader = slide;
      stats.opened++;
      const level = s.levels.length - 1;
      const { width, height } = s.levels[0];
      const reads: [string, () => Promise<unknown>][] = [
        ['region', () => s.readRegion(0, Math.floor(random() * width), Math.floor(random() * height), 300, 300)],
        ['edge region', () => s.readRegion(level, width - 100, height - 100, 200, 200)],
        ['native tile', () => s.readNativeTile(0, 0, 0)],
      ];
      // Associated images are whole-image decodes: read them in a third of the cases to keep the test short.
      if (random() < 0.33) {
        for (const a of s.associatedImages) reads.push([`associated ${a.name}`, () => s.readAssociatedImage(a.name)]);
      }
      for (const [what, read] of reads) {
        stats.reads++;
        if (!(await step(`case ${i}: ${what}`, read))) stats.failedReads++;
      }
      await s.close();
    }
  } finally {
    dir.remove();
  }
  // Most mutations leave a file that still opens: the reads must have been exercised, not skipped.
  assert.ok(stats.opened > CASES / 4, `only ${stats.opened} of ${CASES} mutated files opened`);
  console.log(`fuzz: ${stats.opened}/${CASES} opened, ${stats.failedReads}/${stats.reads} reads failed with SlideError`);
});
