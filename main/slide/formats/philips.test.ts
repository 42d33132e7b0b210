// Philips TIFF against OpenSlide 3.4.1 on a generated file (no real Philips slides here): the fixture is
// valid only because OpenSlide reads it as "philips"; then geometry, every property, associated images and
// pixels (sparse tile transparent, padded level clipped) must agree. Bad input fails with SlideError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { FileSource } from '../file-source.js';
import { openSlide } from '../open-slide.js';
import { isSlideError } from '../slide-errors.js';
import { diffRgba, loadRgba } from '../testing/compare-pixels.js';
import { tempDir } from '../testing/fixtures.js';
import {
  associatedPng,
  openSlideReference,
  regionPng,
  skipWithoutOpenSlide,
  type RegionSpec,
  assertSameMetadataAsOpenSlide,
} from '../testing/openslide-reference.js';
import { writePhilipsTiff } from '../testing/philips-writer.js';
import { formatDouble } from '../glib-double.js';
import { parsePixelSpacing, philips } from './philips.js';

const REGIONS: RegionSpec[] = [
  { level: 0, x: 0, y: 0, w: 768, h: 512 }, // whole level 0, with the missing tile (2, 1)
  { level: 0, x: 200, y: 150, w: 300, h: 200 },
  { level: 1, x: 0, y: 0, w: 400, h: 260 }, // whole clipped level 1, and past its edge
  { level: 1, x: 100, y: 60, w: 150, h: 120 },
];

test(
  'Philips TIFF: OpenSlide 3.4.1 and Tessera agree on vendor, geometry, properties, associated images and pixels',
  { skip: skipWithoutOpenSlide() },
  async () => {
    const dir = tempDir('tessera-philips-');
    try {
      const path = dir.file('slide.tiff');
      writeFileSync(path, await writePhilipsTiff({ missing: [[2, 1]] }));
      const ref = openSlideReference(path, REGIONS, dir.path);
      assert.equal(ref.version, '3.4.1');
      assert.equal(ref.detected, 'philips', 'OpenSlide must read the fixture as a Philips slide');
      assert.equal(ref.error, undefined);
      const slide = await openSlide(path);
      try {
        assertSameMetadataAsOpenSlide(slide, ref, 'philips');
        assert.deepEqual(slide.mpp, {
          x: Number(ref.properties['openslide.mpp-x']),
          y: Number(ref.properties['openslide.mpp-y']),
        });
        assert.equal(slide.objectivePower, null);
        assert.deepEqual(Object.keys(ref.associated_images).sort(), ['label', 'macro']);

        for (const [i, r] of REGIONS.entries()) {
          const expected = await loadRgba(regionPng(dir.path, i));
          const ours = await slide.readRegion(r.level, r.x, r.y, r.w, r.h);
          assert.deepEqual([ours.width, ours.height], [expected.width, expected.height]);
          const d = diffRgba(ours.data, expected.data);
          assert.ok(d.mean <= 3, `region ${i}: mean ${d.mean.toFixed(3)}`);
          assert.equal(d.alphaMismatches, 0, `region ${i}: alpha differs at ${d.alphaMismatches} pixels`);
        }
        // The missing tile is transparent, in both.
        const hole = await slide.readRegion(0, 600, 300, 10, 10);
        assert.ok(hole.data.every((v) => v === 0));
        assert.equal(await slide.readNativeTile(0, 2, 1), null);
        assert.notEqual(await slide.readNativeTile(0, 1, 1), null);

        for (const name of Object.keys(ref.associated_images)) {
          const expected = await loadRgba(associatedPng(dir.path, name));
          const ours = await slide.readAssociatedImage(name);
          const rgba = ours.channels === 4 ? ours.data : Buffer.alloc(0);
          const d = diffRgba(rgba, expected.data);
          assert.ok(d.mean <= 3, `${name}: mean ${d.mean.toFixed(3)}`);
        }
      } finally {
        await slide.close();
      }
    } finally {
      dir.remove();
    }
  },
);

test('Philips TIFF: without a Label directory or XML label there is no label; the XML macro still reads', async () => {
  const dir = tempDir('tessera-philips-');
  try {
    const path = dir.file('slide.tiff');
    writeFileSync(path, await writePhilipsTiff({ labelDirectory: false }));
    const slide = await openSlide(path);
    try {
      assert.deepEqual(
        slide.associatedImages.map((a) => a.name),
        ['macro'],
      );
      const macro = await slide.readAssociatedImage('macro');
      assert.deepEqual([macro.width, macro.height], [300, 120]);
    } finally {
      await slide.close();
    }
  } finally {
    dir.remove();
  }
});

test('Philips TIFF: pixel spacing and number formatting follow OpenSlide', () => {
  assert.deepEqual(parsePixelSpacing('"0.0005" "0.00025"'), { w: 0.00025, h: 0.0005 });
  assert.deepEqual(parsePixelSpacing('"0,25" "0,25"'), { w: 0.25, h: 0.25 });
  assert.equal(parsePixelSpacing('"0.25"'), null);
  assert.equal(parsePixelSpacing('"a" "b"'), null);
  assert.equal(formatDouble(0.1), '0.10000000000000001');
  assert.equal(formatDouble(1e-5), '1.0000000000000001e-05');
  assert.equal(formatDouble(0.25), '0.25');
});

test('Philips TIFF: bad input is a SlideError', async () => {
  const dir = tempDir('tessera-philips-');
  try {
    const good = await writePhilipsTiff();
    const cases: [string, Buffer][] = [
      ['truncated', good.subarray(0, Math.floor(good.length / 2))],
      ['malformed XML', await writePhilipsTiff({ xml: (x) => x.replace('</DataObject>', '</DataObjekt>') })],
      ['two WSI images', await writePhilipsTiff({ xml: (x) => x.replace('MACROIMAGE', 'WSI') })],
      [
        'spacing count',
        await writePhilipsTiff({
          xml: (x) => x.replace(/<DataObject ObjectType="PixelDataRepresentation">[\s\S]*?<\/DataObject>/, ''),
        }),
      ],
      [
        'bad spacing',
        await writePhilipsTiff({ xml: (x) => x.replace(/&quot;0\.000454546&quot; &quot;0\.000454546&quot;/, 'x') }),
      ],
    ];
    for (const [name, bytes] of cases) {
      const path = dir.file(`${name}.tiff`);
      writeFileSync(path, bytes);
      const source = await FileSource.open(path);
      try {
        await assert.rejects(philips.open(source), (err) => isSlideError(err), name);
      } finally {
        await source.close();
      }
    }
    // Malformed XML is not a Philips file at all to detection (OpenSlide then falls back to generic TIFF too).
    const source = await FileSource.open(dir.file('malformed XML.tiff'));
    try {
      assert.equal(await philips.detect(source), false);
    } finally {
      await source.close();
    }
    await assert.rejects(openSlide(dir.file('truncated.tiff')), (err) => isSlideError(err));
  } finally {
    dir.remove();
  }
});
