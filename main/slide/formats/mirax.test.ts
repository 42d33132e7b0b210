// 3DHistech MIRAX against OpenSlide 3.4.1 on a slide written by `testing/mirax-writer.ts` (4×4 camera images
// of 256 px, 2×2 per photo, jittered overlapping photo positions, 3 zoom levels, macro/label/thumbnail):
// OpenSlide must open the same file, and vendor, geometry, every property it emits, associated image sizes
// and pixels of crops at every level (overlaps included) must match. Then bad input: a missing folder, a
// missing data file, an Index.dat page loop and a pointer past its end give SlideErrors quickly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { openSlide } from '../open-slide.js';
import { SlideError } from '../slide-errors.js';
import { diffRgba, loadRgba } from '../testing/compare-pixels.js';
import { tempDir } from '../testing/fixtures.js';
import { writeMirax } from '../testing/mirax-writer.js';

const PYTHON = '/usr/bin/python3';

function openslideAvailable(): string | false {
  try {
    execFileSync(PYTHON, ['-c', 'import openslide'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'python3-openslide is not installed (apt-get install python3-openslide): no OpenSlide reference';
  }
}

const REGIONS: { level: number; x: number; y: number; w: number; h: number }[] = [
  { level: 0, x: 0, y: 0, w: 300, h: 300 },
  { level: 0, x: 400, y: 380, w: 256, h: 256 }, // where all four photos overlap
  { level: 0, x: 700, y: 700, w: 300, h: 300 },
  { level: 1, x: 0, y: 0, w: 504, h: 504 },
  { level: 2, x: 0, y: 0, w: 252, h: 252 },
  { level: 1, x: 3, y: 5, w: 200, h: 200 }, // fractional position at level 1
];

const SCRIPT = `
import json, sys, openslide
s = openslide.OpenSlide(sys.argv[1])
regions = json.loads(sys.argv[3])
out = {'vendor': openslide.OpenSlide.detect_format(sys.argv[1]), 'dims': s.level_dimensions, 'downsamples': s.level_downsamples,
       'properties': dict(s.properties), 'associated': {k: v.size for k, v in s.associated_images.items()}}
for i, r in enumerate(regions):
    s.read_region((r['x'], r['y']), r['level'], (r['w'], r['h'])).save('%s/region%d.png' % (sys.argv[2], i))
for k, v in s.associated_images.items():
    v.convert('RGBA').save('%s/assoc-%s.png' % (sys.argv[2], k))
print(json.dumps(out))
`;

interface Reference {
  vendor: string;
  dims: [number, number][];
  downsamples: number[];
  properties: Record<string, string>;
  associated: Record<string, [number, number]>;
}

// Measured against OpenSlide 3.4.1 (mean |Δ| RGB / max): see the report in the test output.
const MEAN_TOLERANCE = 3;

test('MIRAX: OpenSlide 3.4.1 reads the generated slide exactly as Tessera does', { skip: openslideAvailable() }, async (t) => {
  const dir = tempDir('tessera-mirax-');
  try {
    const fx = await writeMirax(dir.path);
    const ref = JSON.parse(execFileSync(PYTHON, ['-c', SCRIPT, fx.mrxs, dir.path, JSON.stringify(REGIONS)], { encoding: 'utf8' })) as Reference;
    const slide = await openSlide(fx.mrxs);
    try {
      assert.equal(ref.vendor, 'mirax');
      assert.equal(slide.vendor, ref.vendor);
      assert.deepEqual(slide.levels.map((l) => [l.width, l.height]), ref.dims);
      assert.deepEqual(slide.levels.map((l) => l.downsample), ref.downsamples);
      assert.deepEqual(slide.properties, ref.properties);
      assert.deepEqual(Object.fromEntries(slide.associatedImages.map((a) => [a.name, [a.width, a.height]])), ref.associated);
      assert.deepEqual(slide.mpp, { x: 0.2325, y: 0.2325 });
      assert.equal(slide.objectivePower, 20);
      for (const [i, r] of REGIONS.entries()) {
        const ours = await slide.readRegion(r.level, r.x, r.y, r.w, r.h);
        const theirs = await loadRgba(`${dir.path}/region${i}.png`);
        const d = diffRgba(ours.data, theirs.data);
        t.diagnostic(`region ${i} (level ${r.level} @ ${r.x},${r.y} ${r.w}×${r.h}): mean ${d.mean.toFixed(3)} p99 ${d.p99} max ${d.max} alpha mismatches ${d.alphaMismatches}`);
        assert.ok(d.mean <= MEAN_TOLERANCE, `region ${i}: mean |Δ| ${d.mean} > ${MEAN_TOLERANCE}`);
        assert.ok(d.alphaMismatches <= r.w + r.h, `region ${i}: ${d.alphaMismatches} pixels differ in alpha`);
      }
      for (const a of slide.associatedImages) {
        const ours = await slide.readAssociatedImage(a.name);
        const d = diffRgba(ours.data, (await loadRgba(`${dir.path}/assoc-${a.name}.png`)).data);
        t.diagnostic(`${a.name}: mean ${d.mean.toFixed(3)} max ${d.max}`);
        assert.ok(d.mean <= MEAN_TOLERANCE);
      }
    } finally {
      await slide.close();
    }
  } finally {
    dir.remove();
  }
});

async function rejects(path: string, code: string, pattern: RegExp): Promise<void> {
  const started = Date.now();
  await assert.rejects(openSlide(path), (err: unknown) => {
    assert.ok(err instanceof SlideError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    return true;
  });
  assert.ok(Date.now() - started < 5000, 'took too long to fail');
}

test('MIRAX: a missing folder, a missing data file and a corrupt Index.dat are clear SlideErrors', async () => {
  const dir = tempDir('tessera-mirax-bad-');
  try {
    const fx = await writeMirax(dir.path);
    const index = readFileSync(`${fx.folder}/Index.dat`);
    const hierRoot = 5 + fx.slideId.length;

    // Pointer loop: zoom level 0's last page "next" points back at its first page.
    const table = index.readInt32LE(hierRoot);
    const level0 = index.readInt32LE(table);
    const firstPage = index.readInt32LE(level0 + 4);
    const secondPage = index.readInt32LE(firstPage + 4);
    const loop = Buffer.from(index);
    loop.writeInt32LE(firstPage, secondPage + 4);
    writeFileSync(`${fx.folder}/Index.dat`, loop);
    await rejects(fx.mrxs, 'corrupt', /loop back/);

    // Past the end: the nonhier root points beyond the file.
    const past = Buffer.from(index);
    past.writeInt32LE(index.length + 100, hierRoot + 4);
    writeFileSync(`${fx.folder}/Index.dat`, past);
    await rejects(fx.mrxs, 'corrupt', /past its end/);

    // Truncated index.
    writeFileSync(`${fx.folder}/Index.dat`, index.subarray(0, index.length - 40));
    await rejects(fx.mrxs, 'corrupt', /past its end/);
    writeFileSync(`${fx.folder}/Index.dat`, index);

    // A missing data file.
    renameSync(`${fx.folder}/Data0001.dat`, `${fx.folder}/gone.dat`);
    await rejects(fx.mrxs, 'not-found', /data file .*Data0001\.dat is missing/);
    renameSync(`${fx.folder}/gone.dat`, `${fx.folder}/Data0001.dat`);

    // A truncated data file.
    const data0 = readFileSync(`${fx.folder}/Data0000.dat`);
    writeFileSync(`${fx.folder}/Data0000.dat`, data0.subarray(0, data0.length >> 1));
    await rejects(fx.mrxs, 'truncated', /Data0000\.dat is truncated/);
    writeFileSync(`${fx.folder}/Data0000.dat`, data0);

    // The folder is gone.
    rmSync(fx.folder, { recursive: true });
    await rejects(fx.mrxs, 'not-found', /data folder .* is missing/);
  } finally {
    dir.remove();
  }
});
