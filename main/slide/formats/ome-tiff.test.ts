// OME-TIFF pyramids with SubIFDs, written byte by byte (libvips cannot write SubIFDs through sharp):
// little- and big-endian, classic and BigTIFF; geometry, MPP from OME-XML and pixels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { openSlide } from '../open-slide.js';
import { diffRgba } from '../testing/compare-pixels.js';
import { tempDir, testCard } from '../testing/fixtures.js';
import { cutTiles, tiledImageEntries, writeTiff, type IfdSpec } from '../testing/tiff-writer.js';
import { Compression } from '../tiff/tiff-tags.js';
import { omePhysicalSize } from './ome-tiff.js';

const W = 1000;
const H = 700;
const TILE = 128;

const omeXml = (x: string, y: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06">` +
  `<Instrument ID="Instrument:0"><Objective ID="Objective:0" NominalMagnification="20.0"/></Instrument>` +
  `<Image ID="Image:0"><Pixels ID="Pixels:0" DimensionOrder="XYCZT" Type="uint8" SizeX="${W}" SizeY="${H}" SizeC="3" SizeZ="1" SizeT="1" ${x} ${y}>` +
  `<Channel ID="Channel:0:0" SamplesPerPixel="3"/><TiffData/></Pixels></Image></OME>`;

async function level(raw: Buffer, width: number, height: number, subfileType: number, description?: string): Promise<IfdSpec> {
  return {
    entries: tiledImageEntries({ width, height, tileWidth: TILE, tileHeight: TILE, compression: Compression.AdobeDeflate, subfileType, description }),
    pieces: cutTiles(raw, width, height, 3, TILE, TILE).map((t) => deflateSync(t)),
  };
}

async function omeFixture(path: string, opts: { littleEndian: boolean; bigTiff: boolean; xml: string }): Promise<Buffer> {
  const full = testCard(W, H);
  const reduced = await Promise.all(
    [2, 4].map(async (f) => {
      const w = Math.floor(W / f);
      const h = Math.floor(H / f);
      const data = await sharp(full, { raw: { width: W, height: H, channels: 3 } }).resize(w, h).raw().toBuffer();
      return level(data, w, h, 1);
    }),
  );
  const base = await level(full, W, H, 0, opts.xml);
  base.subIfds = reduced;
  writeFileSync(path, writeTiff({ littleEndian: opts.littleEndian, bigTiff: opts.bigTiff, ifds: [base] }));
  return full;
}

for (const variant of [
  { littleEndian: true, bigTiff: false },
  { littleEndian: false, bigTiff: false },
  { littleEndian: true, bigTiff: true },
  { littleEndian: false, bigTiff: true },
]) {
  const label = `${variant.bigTiff ? 'BigTIFF' : 'TIFF'} ${variant.littleEndian ? 'little' : 'big'}-endian`;
  test(`OME-TIFF (${label}) with SubIFDs: levels, MPP and pixels`, async () => {
    const dir = tempDir();
    try {
      const path = dir.file('slide.ome.tif');
      const xml = omeXml('PhysicalSizeX="0.5" PhysicalSizeXUnit="µm"', 'PhysicalSizeY="500" PhysicalSizeYUnit="nm"');
      const full = await omeFixture(path, { ...variant, xml });
      const slide = await openSlide(path);
      try {
        assert.equal(slide.vendor, 'ome-tiff');
        assert.deepEqual(slide.levels.map((l) => [l.width, l.height]), [[1000, 700], [500, 350], [250, 175]]);
        assert.deepEqual(slide.levels.map((l) => l.downsample), [1, 2, 4]);
        assert.deepEqual(slide.mpp, { x: 0.5, y: 0.5 });
        assert.equal(slide.objectivePower, 20);
        assert.equal(slide.properties['openslide.mpp-x'], '0.5');
        const region = await slide.readRegion(0, 950, 650, 100, 100);
        const expected = Buffer.alloc(100 * 100 * 4);
        for (let y = 0; y < 50; y++) {
          for (let x = 0; x < 50; x++) {
            full.copy(expected, (y * 100 + x) * 4, ((650 + y) * W + 950 + x) * 3, ((650 + y) * W + 950 + x) * 3 + 3);
            expected[(y * 100 + x) * 4 + 3] = 255;
          }
        }
        assert.equal(diffRgba(region.data, expected).max, 0);
        const low = await slide.readRegion(2, 0, 0, 250, 175);
        assert.equal(low.width, 250);
      } finally {
        await slide.close();
      }
    } finally {
      dir.remove();
    }
  });
}

test('OME-XML physical sizes: units converted to microns, missing sizes give null', () => {
  assert.deepEqual(omePhysicalSize(omeXml('PhysicalSizeX="0.25"', 'PhysicalSizeY="0.26"')), { x: 0.25, y: 0.26 });
  assert.deepEqual(omePhysicalSize(omeXml('PhysicalSizeX="0.001" PhysicalSizeXUnit="mm"', 'PhysicalSizeY="1" PhysicalSizeYUnit="µm"')), { x: 1, y: 1 });
  assert.equal(omePhysicalSize(omeXml('', '')), null);
  assert.equal(omePhysicalSize('not xml'), null);
});
