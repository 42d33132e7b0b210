// Ventana BIF against OpenSlide 3.4.1 on generated files (no real BIF slides here): a fixture is valid only
// because OpenSlide reads it as "ventana"; then geometry (levels sized by the overlapping raw tiles at the
// joint-averaged advance), every property, the associated images and pixels must agree — for a BIF (level-0
// EncodeInfo) and for a "Ventana TIFF" without it. Bad input fails with SlideError.
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
import {
  VENTANA_ADVANCE_X,
  VENTANA_ADVANCE_Y,
  VENTANA_TILE,
  ventanaTileNumber,
  writeVentanaBif,
  type VentanaFixtureOptions,
} from '../testing/ventana-writer.js';
import { ventanaBif } from './ventana-bif.js';

const REGIONS: RegionSpec[] = [
  { level: 0, x: 0, y: 0, w: 520, h: 400 }, // the whole level and a transparent margin
  { level: 0, x: 100, y: 90, w: 200, h: 120 }, // across tile joints
  { level: 0, x: 371, y: 251, w: 100, h: 100 },
  { level: 1, x: 0, y: 0, w: 260, h: 200 },
  { level: 1, x: 120, y: 124, w: 100, h: 60 }, // level-0 coordinates: whole level-1 pixels
  { level: 1, x: 33, y: 17, w: 80, h: 80 }, // half-pixel position at level 1
];

async function compare(name: string, options: VentanaFixtureOptions, bif: boolean): Promise<void> {
  const dir = tempDir('tessera-ventana-');
  try {
    const path = dir.file(name);
    writeFileSync(path, await writeVentanaBif(options));
    const ref = openSlideReference(path, REGIONS, dir.path);
    assert.equal(ref.version, '3.4.1');
    assert.equal(ref.detected, 'ventana', 'OpenSlide must read the fixture as a Ventana slide');
    assert.equal(ref.error, undefined);
    const source = await FileSource.open(path);
    try {
      assert.equal(await ventanaBif.detect(source), true);
    } finally {
      await source.close();
    }
    const slide = await openSlide(path);
    try {
      assertSameMetadataAsOpenSlide(slide, ref, 'ventana');
      if (bif)
        assert.deepEqual(ref.level_dimensions[0], [
          3 * VENTANA_ADVANCE_X + VENTANA_TILE,
          2 * VENTANA_ADVANCE_Y + VENTANA_TILE,
        ]);
      assert.equal(slide.properties['ventana.Magnification'], '40');
      assert.deepEqual(slide.mpp, { x: 0.2325, y: 0.2325 });
      assert.equal(slide.objectivePower, 40);
      assert.deepEqual(Object.keys(ref.associated_images).sort(), ['macro', 'thumbnail']);
      for (const [i, r] of REGIONS.entries()) {
        const expected = await loadRgba(regionPng(dir.path, i));
        const ours = await slide.readRegion(r.level, r.x, r.y, r.w, r.h);
        assert.deepEqual([ours.width, ours.height], [expected.width, expected.height]);
        const d = diffRgba(ours.data, expected.data);
        assert.ok(d.mean <= 3, `${name} region ${i}: mean ${d.mean.toFixed(3)}`);
        assert.equal(d.alphaMismatches, 0, `${name} region ${i}: alpha differs at ${d.alphaMismatches} pixels`);
        // At whole-pixel positions the tiles are the same JPEGs decoded alike: a seam drawn from the wrong one
        // of two overlapping tiles (OpenSlide's lower-right tile wins) would show as a line of large errors.
        if (i < 5) assert.ok(d.max <= 16, `${name} region ${i}: max ${d.max}`);
        if (process.env.TESSERA_DIFF_LOG)
          console.log(`${name} region ${i}: mean ${d.mean.toFixed(3)} p99 ${d.p99} max ${d.max}`);
      }
      for (const name of Object.keys(ref.associated_images)) {
        const expected = await loadRgba(associatedPng(dir.path, name));
        const ours = await slide.readAssociatedImage(name);
        assert.deepEqual([ours.width, ours.height], [expected.width, expected.height]);
        assert.ok(diffRgba(ours.data, expected.data).mean <= 3, name);
      }
    } finally {
      await slide.close();
    }
  } finally {
    dir.remove();
  }
}

test(
  'Ventana BIF: OpenSlide 3.4.1 and Tessera agree on vendor, geometry, properties, associated images and pixels',
  { skip: skipWithoutOpenSlide() },
  async () => {
    await compare('slide.bif', {}, true);
    await compare('metadata-root.bif', { metadataRoot: true }, true);
  },
);

test(
  'Ventana TIFF (no level-0 EncodeInfo): plain levels, as OpenSlide 3.4.1',
  { skip: skipWithoutOpenSlide() },
  async () => {
    await compare('slide.tif', { noEncodeInfo: true }, false);
  },
);

test('Ventana BIF: serpentine tile numbers, from the bottom row', () => {
  // 4 × 3 tiles: the bottom row runs 1-4 left to right, the middle 5-8 right to left, the top 9-12.
  assert.deepEqual(
    [0, 1, 2, 3].map((c) => ventanaTileNumber(c, 2)),
    [1, 2, 3, 4],
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((c) => ventanaTileNumber(c, 1)),
    [8, 7, 6, 5],
  );
  assert.deepEqual(
    [0, 1, 2, 3].map((c) => ventanaTileNumber(c, 0)),
    [9, 10, 11, 12],
  );
});

test('Ventana BIF: bad input is a SlideError', async () => {
  const dir = tempDir('tessera-ventana-');
  try {
    const good = await writeVentanaBif();
    const cases: [string, Buffer][] = [
      ['truncated', good.subarray(0, Math.floor(good.length / 2))],
      [
        'malformed EncodeInfo',
        await writeVentanaBif({ encodeXml: (x) => x.replace('</SlideStitchInfo>', '</SlideStitchInf>') }),
      ],
      [
        'inconsistent areas',
        await writeVentanaBif({ encodeXml: (x) => x.replace('<AOI1 OriginX="0" OriginY="0"/>', '') }),
      ],
      [
        'tile size mismatch',
        await writeVentanaBif({
          encodeXml: (x) => x.replace('Width="128" Height="128" Pos-X="0.0"', 'Width="256" Height="128" Pos-X="0.0"'),
        }),
      ],
      [
        'bad joint direction',
        await writeVentanaBif({ encodeXml: (x) => x.replace('Direction="UP"', 'Direction="DOWN"') }),
      ],
      ['joint tile out of bounds', await writeVentanaBif({ encodeXml: (x) => x.replace('Tile2="2"', 'Tile2="99"') })],
      [
        'non-adjacent joint',
        await writeVentanaBif({ encodeXml: (x) => x.replace('Tile1="1" Tile2="2"', 'Tile1="1" Tile2="3"') }),
      ],
      ['bad overlap', await writeVentanaBif({ encodeXml: (x) => x.replace('OverlapX="3"', 'OverlapX="three"') })],
      ['no joints', await writeVentanaBif({ encodeXml: (x) => x.replace(/<TileJointInfo[^>]*\/>\n?/g, '') })],
      [
        'levels out of order',
        await writeVentanaBif({ levelDescription: (n, d) => (n === 1 ? d.replace('level=1', 'level=2') : d) }),
      ],
      [
        'rising magnification',
        await writeVentanaBif({ levelDescription: (n, d) => (n === 1 ? d.replace('mag=20', 'mag=80') : d) }),
      ],
      [
        'bad level number',
        await writeVentanaBif({ levelDescription: (n, d) => (n === 0 ? d.replace('level=0', 'level=zero') : d) }),
      ],
    ];
    for (const [name, bytes] of cases) {
      const path = dir.file(`${name}.bif`);
      writeFileSync(path, bytes);
      const source = await FileSource.open(path);
      try {
        await assert.rejects(ventanaBif.open(source), (err) => isSlideError(err), name);
      } finally {
        await source.close();
      }
    }
    await assert.rejects(openSlide(dir.file('truncated.bif')), (err) => isSlideError(err));
    // Malformed iScan XML: not a Ventana slide at all, and a SlideError when opened as one.
    const path = dir.file('malformed-iscan.bif');
    writeFileSync(path, await writeVentanaBif({ iscanXml: (x) => x.replace('<AOI0', '<AOI0 <') }));
    const source = await FileSource.open(path);
    try {
      assert.equal(await ventanaBif.detect(source), false);
      await assert.rejects(ventanaBif.open(source), (err) => isSlideError(err));
    } finally {
      await source.close();
    }
  } finally {
    dir.remove();
  }
});
