// Leica SCN against OpenSlide 3.4.1 on a generated file (no real SCN slides here): the fixture is valid only
// because OpenSlide reads it as "leica"; then geometry (collection-sized canvas, main image at its offset),
// every property, the macro and pixels must agree. Bad input fails with SlideError.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { FileSource } from '../file-source.js';
import { openSlide } from '../open-slide.js';
import { isSlideError } from '../slide-errors.js';
import { diffRgba, loadRgba } from '../testing/compare-pixels.js';
import { tempDir } from '../testing/fixtures.js';
import { writeLeicaScn } from '../testing/leica-writer.js';
import {
  associatedPng,
  openSlideReference,
  regionPng,
  skipWithoutOpenSlide,
  type RegionSpec,
  assertSameMetadataAsOpenSlide,
} from '../testing/openslide-reference.js';
import { leicaScn } from './leica-scn.js';

const REGIONS: RegionSpec[] = [
  { level: 0, x: 0, y: 0, w: 1200, h: 800 }, // the whole canvas: transparent around the main image
  { level: 0, x: 300, y: 200, w: 400, h: 300 },
  { level: 1, x: 0, y: 0, w: 600, h: 400 },
  { level: 1, x: 400, y: 300, w: 200, h: 150 },
];

test(
  'Leica SCN: OpenSlide 3.4.1 and Tessera agree on vendor, geometry, properties, macro and pixels',
  { skip: skipWithoutOpenSlide() },
  async () => {
    const dir = tempDir('tessera-leica-');
    try {
      const path = dir.file('slide.scn');
      writeFileSync(path, await writeLeicaScn());
      const ref = openSlideReference(path, REGIONS, dir.path);
      assert.equal(ref.version, '3.4.1');
      assert.equal(ref.detected, 'leica', 'OpenSlide must read the fixture as a Leica slide');
      assert.equal(ref.error, undefined);
      const slide = await openSlide(path);
      try {
        assertSameMetadataAsOpenSlide(slide, ref, 'leica');
        assert.deepEqual(slide.mpp, {
          x: Number(ref.properties['openslide.mpp-x']),
          y: Number(ref.properties['openslide.mpp-y']),
        });
        assert.equal(slide.objectivePower, Number(ref.properties['openslide.objective-power']));
        assert.deepEqual(Object.keys(ref.associated_images), ['macro']);
        for (const [i, r] of REGIONS.entries()) {
          const expected = await loadRgba(regionPng(dir.path, i));
          const ours = await slide.readRegion(r.level, r.x, r.y, r.w, r.h);
          assert.deepEqual([ours.width, ours.height], [expected.width, expected.height]);
          const d = diffRgba(ours.data, expected.data);
          assert.ok(d.mean <= 3, `region ${i}: mean ${d.mean.toFixed(3)}`);
          assert.equal(d.alphaMismatches, 0, `region ${i}: alpha differs at ${d.alphaMismatches} pixels`);
        }
        const expected = await loadRgba(associatedPng(dir.path, 'macro'));
        const macro = await slide.readAssociatedImage('macro');
        assert.deepEqual([macro.width, macro.height], [expected.width, expected.height]);
        assert.ok(diffRgba(macro.data, expected.data).mean <= 3);
      } finally {
        await slide.close();
      }
    } finally {
      dir.remove();
    }
  },
);

test('Leica SCN: bad input is a SlideError', async () => {
  const dir = tempDir('tessera-leica-');
  try {
    const good = await writeLeicaScn();
    const cases: [string, Buffer][] = [
      ['truncated', good.subarray(0, Math.floor(good.length / 2))],
      ['malformed XML', await writeLeicaScn({ xml: (x) => x.replace('</collection>', '</collectio>') })],
      ['no view', await writeLeicaScn({ xml: (x) => x.replace(/<view sizeX="384000"[^>]*\/>/, '') })],
      ['bad integer', await writeLeicaScn({ xml: (x) => x.replace('sizeX="600000"', 'sizeX="6e5"') })],
      ['missing directory', await writeLeicaScn({ xml: (x) => x.replace('ifd="3"', 'ifd="9"') })],
      [
        'no main image',
        await writeLeicaScn({
          xml: (x) =>
            x.replace(
              '<illuminationSource>brightfield</illuminationSource></illuminationSettings>\n      </scanSettings>\n    </image>\n  </collection>',
              '<illuminationSource>fluorescence</illuminationSource></illuminationSettings>\n      </scanSettings>\n    </image>\n  </collection>',
            ),
        }),
      ],
    ];
    for (const [name, bytes] of cases) {
      const path = dir.file(`${name}.scn`);
      writeFileSync(path, bytes);
      const source = await FileSource.open(path);
      try {
        await assert.rejects(leicaScn.open(source), (err) => isSlideError(err), name);
      } finally {
        await source.close();
      }
    }
    await assert.rejects(openSlide(dir.file('truncated.scn')), (err) => isSlideError(err));
  } finally {
    dir.remove();
  }
});
