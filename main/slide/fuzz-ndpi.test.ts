// Mutation fuzzing of a real Hamamatsu NDPI (test3-DAPI.ndpi: four levels, each one JPEG with restart
// markers and an McuStarts table, plus a macro and a map): deterministic (seeded) mutations of its TIFF
// directories and NDPI tags, the McuStarts (65426) values, the JPEG headers (SOF sizes, DQT/DHT/DRI), the
// restart markers in the entropy-coded data, plus truncations. Opening and reading regions, native tiles
// and associated images may fail only with a SlideError, each step within a time limit; the run has a
// time budget (the case count reached is printed), so the file stays within ~10 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { seededRandom, type Random } from '../common/seeded-random.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { openSlide } from './open-slide.js';
import type { SlideReader } from './slide-reader.js';
import { tempDir } from './testing/fixtures.js';
import { fuzzStep as step } from './testing/fuzz-step.js';

const MAX_CASES = 300;
const BUDGET_MS = 8000;
const MCU_STARTS = 65426;

interface Layout {
  /** Directories: [offset, entry count]. */
  dirs: [number, number][];
  /** Byte ranges [offset, count] of the McuStarts arrays (LONG values). */
  mcuStarts: [number, number][];
  /** Offsets of JPEG SOI markers (FFD8FF): each image's header. */
  jpegs: number[];
  /** Offsets of restart markers (FFD0–FFD7) in the entropy-coded data. */
  restarts: number[];
}

/** Where the classic-TIFF directories, McuStarts tables, JPEG headers and restart markers of `ndpi` are. */
function layout(ndpi: Buffer): Layout {
  const dirs: [number, number][] = [];
  const mcuStarts: [number, number][] = [];
  let at = ndpi.readUInt32LE(4);
  while (at !== 0 && dirs.length < 64) {
    const n = ndpi.readUInt16LE(at);
    dirs.push([at, n]);
    for (let i = 0; i < n; i++) {
      const e = at + 2 + i * 12;
      if (ndpi.readUInt16LE(e) === MCU_STARTS) mcuStarts.push([ndpi.readUInt32LE(e + 8), ndpi.readUInt32LE(e + 4)]);
    }
    at = ndpi.readUInt32LE(at + 2 + n * 12);
  }
  const jpegs: number[] = [];
  for (
    let i = ndpi.indexOf(Buffer.from([0xff, 0xd8, 0xff]));
    i >= 0 && jpegs.length < 64;
    i = ndpi.indexOf(Buffer.from([0xff, 0xd8, 0xff]), i + 3)
  )
    jpegs.push(i);
  const restarts: number[] = [];
  for (let i = 0; i + 1 < ndpi.length && restarts.length < 1 << 16; i++) {
    if (ndpi[i] === 0xff && ndpi[i + 1] >= 0xd0 && ndpi[i + 1] <= 0xd7) restarts.push(i);
  }
  return { dirs, mcuStarts, jpegs, restarts };
}

function mutate(original: Buffer, l: Layout, random: Random): Buffer {
  const pick = (n: number): number => Math.floor(random() * n);
  const buf = Buffer.from(original);
  const [dirAt, count] = l.dirs[pick(l.dirs.length)];
  const entry = dirAt + 2 + pick(count) * 12;
  switch (pick(9)) {
    case 0: // a tag's value or offset (NDPI tags included): random, small, or just past the end
      buf.writeUInt32LE([pick(2 ** 32), pick(4096), buf.length + pick(100), 0xffffffff][pick(4)], entry + 8);
      break;
    case 1: // a tag's type or count
      if (random() < 0.5) buf.writeUInt16LE(pick(20), entry + 2);
      else buf.writeUInt32LE([pick(2 ** 32), pick(1 << 20), 0, 1][pick(4)], entry + 4);
      break;
    case 2: // bytes in and around a directory (counts, next pointers)
      for (let i = 0, n = 1 + pick(8); i < n; i++) buf[dirAt + pick(count * 12 + 6)] = pick(256);
      break;
    case 3: {
      // McuStarts values: out of order, past the JPEG, zero, huge
      if (!l.mcuStarts.length) break;
      const [at, n] = l.mcuStarts[pick(l.mcuStarts.length)];
      for (let i = 0, k = 1 + pick(4); i < k; i++) {
        const v = at + 4 * pick(n);
        if (v + 4 <= buf.length)
          buf.writeUInt32LE(
            [pick(2 ** 32), 0, buf.readUInt32LE(v) + pick(64) - 32, buf.length + pick(1000)][pick(4)] >>> 0,
            v,
          );
      }
      break;
    }
    case 4: // a JPEG header (SOF sizes and components, DQT, DHT, DRI restart interval)
    case 5: {
      const at = l.jpegs.length ? l.jpegs[pick(l.jpegs.length)] : pick(buf.length);
      for (let i = 0, n = 1 + pick(6); i < n; i++) buf[Math.min(buf.length - 1, at + 2 + pick(700))] = pick(256);
      break;
    }
    case 6: {
      // restart markers: renumbered, removed, or the entropy data around them scrambled
      const at = l.restarts.length ? l.restarts[pick(l.restarts.length)] : pick(buf.length - 2);
      const how = pick(3);
      if (how === 0) buf[at + 1] = 0xd0 + pick(8);
      else if (how === 1) buf[at] = pick(256);
      else for (let i = 0, n = 1 + pick(16); i < n; i++) buf[Math.min(buf.length - 1, at + pick(64))] = pick(256);
      break;
    }
    case 7: // data anywhere
      for (let i = 0, n = 1 + pick(64); i < n; i++) buf[pick(buf.length)] = pick(256);
      break;
    default: // truncation
      return buf.subarray(0, pick(buf.length));
  }
  return buf;
}

test(
  'fuzz: mutations of test3-DAPI.ndpi fail only with SlideError',
  { skip: skipWithoutShared, timeout: 120_000 },
  async () => {
    const original = readFileSync(shared('data', 'slides', 'test3-DAPI.ndpi'));
    const l = layout(original);
    assert.ok(
      l.dirs.length >= 4 && l.mcuStarts.length >= 1 && l.jpegs.length >= 4 && l.restarts.length > 100,
      'the NDPI layout was found',
    );
    const random = seededRandom(20240917);
    const dir = tempDir('tessera-fuzz-ndpi-');
    const stats = { cases: 0, opened: 0, reads: 0, failedReads: 0 };
    const started = Date.now();
    try {
      for (let i = 0; i < MAX_CASES && Date.now() - started < BUDGET_MS; i++) {
        stats.cases++;
        const path = dir.file(`case-${i % 4}.ndpi`);
        writeFileSync(path, mutate(original, l, random));
        let slide: SlideReader | null = null;
        const opened = await step(`case ${i}: open`, async () => {
          slide = await openSlide(path);
        });
        if (!opened || !slide) continue;
        const s: SlideReader = slide;
        stats.opened++;
        const last = s.levels.length - 1;
        const { width, height } = s.levels[0];
        const reads: [string, () => Promise<unknown>][] = [
          ['region', () => s.readRegion(0, Math.floor(random() * width), Math.floor(random() * height), 256, 256)],
          ['edge region', () => s.readRegion(last, width - 64, height - 64, 128, 128)],
          ['native tile', () => s.readNativeTile(last, 0, 0)],
        ];
        if (random() < 0.25)
          for (const a of s.associatedImages) reads.push([`associated ${a.name}`, () => s.readAssociatedImage(a.name)]);
        for (const [what, read] of reads) {
          stats.reads++;
          if (!(await step(`case ${i}: ${what}`, read))) stats.failedReads++;
        }
        await s.close();
      }
    } finally {
      dir.remove();
    }
    assert.ok(stats.cases >= 20, `only ${stats.cases} cases ran within the budget`);
    assert.ok(stats.opened > stats.cases / 4, `only ${stats.opened} of ${stats.cases} mutated files opened`);
    console.log(
      `fuzz NDPI: ${stats.cases} cases in ${Date.now() - started} ms, ${stats.opened} opened, ${stats.failedReads}/${stats.reads} reads failed with SlideError`,
    );
  },
);
