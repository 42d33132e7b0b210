// Virtual tiles (blocks of restart intervals spliced into one JPEG) against the strip-by-strip path (one
// standalone JPEG per interval, as OpenSlide decodes NDPI tiles) on the real test3-DAPI.ndpi: the same
// pixels at every stored level and every 1/2, 1/4, 1/8 decoder scale, for virtual tiles whose first
// interval's marker is not RST0 and for the last ones (padded, ending with EOI). Then the grouping rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';
import type { RgbaImage } from '../codecs/rgba.js';
import { FileSource } from '../file-source.js';
import { TiffTags } from '../tiff/tiff-file.js';
import { parseJpegHeader } from '../codecs/jpeg-header.js';
import { decodeJpegScaled, tileJpeg } from './ndpi-jpeg.js';
import { intervalData, readLevelJpeg, readStrip, type NdpiJpeg } from './ndpi-level-jpeg.js';
import { NdpiTag } from './ndpi-tags.js';
import { readNdpiTiff } from './ndpi-tiff.js';
import { decodeVirtualTile, virtualTileGrid } from './virtual-tiles.js';

const SLIDE = shared('data', 'slides', 'test3-DAPI.ndpi');

/** The stored level JPEGs of the real file (SourceLens > 0), largest first. */
async function levelJpegs(source: FileSource): Promise<NdpiJpeg[]> {
  const tiff = await readNdpiTiff(source);
  const jpegs: NdpiJpeg[] = [];
  for (const [index, dir] of tiff.directories.entries()) {
    const tags = new TiffTags(dir, tiff.littleEndian, source.path);
    if ((tags.number(NdpiTag.SourceLens) ?? 0) > 0) jpegs.push(await readLevelJpeg(source, tags, readStrip(source, tags, index), index));
  }
  return jpegs;
}

/** Interval (0, row) decoded on its own at 1/scale: the strip-by-strip path. */
async function decodeInterval(source: FileSource, jpeg: NdpiJpeg, row: number, scale: number): Promise<RgbaImage> {
  const stream = tileJpeg(jpeg.header, await intervalData(source, jpeg, row), jpeg.tileWidth, jpeg.tileHeight, `interval ${row}`);
  return decodeJpegScaled(stream, jpeg.tileWidth, jpeg.tileHeight, scale, `interval ${row}`);
}

test('virtual tiles decode to the same pixels as their restart intervals one by one, at every level and scale', { skip: skipWithoutShared }, async () => {
  const source = await FileSource.open(SLIDE);
  try {
    const jpegs = await levelJpegs(source);
    assert.deepEqual(
      jpegs.map((j) => [j.width, j.tileWidth, j.tileHeight, j.tilesAcross, j.tilesDown]),
      [[3968, 3968, 8, 1, 608], [1984, 1984, 8, 1, 304], [992, 992, 8, 1, 152], [496, 496, 8, 1, 76]],
    );
    const grids = jpegs.map(virtualTileGrid);
    // 8, 16, 31 (the last one padded by 3) and 38 intervals per virtual tile: 64 to 304 rows.
    assert.deepEqual(grids.map((g) => [g.across, g.down, g.tilesDown]), [[1, 8, 76], [1, 16, 19], [1, 31, 5], [1, 38, 2]]);
    for (const [level, jpeg] of jpegs.entries()) {
      const grid = grids[level];
      for (const scale of [1, 2, 4, 8]) {
        const th = jpeg.tileHeight / scale;
        const rowBytes = (jpeg.tileWidth / scale) * 4;
        // The second virtual tile (its first interval ends in RST7 at level 2, RST6 at level 3) and the last.
        for (const vrow of [1, grid.tilesDown - 1]) {
          const tile = await decodeVirtualTile(source, jpeg, grid, 0, vrow, scale);
          assert.deepEqual([tile.width, tile.height], [grid.tileWidth / scale, grid.tileHeight / scale]);
          for (let i = 0; i < grid.down && vrow * grid.down + i < jpeg.tilesDown; i++) {
            const alone = await decodeInterval(source, jpeg, vrow * grid.down + i, scale);
            const inTile = tile.data.subarray(i * th * rowBytes, (i + 1) * th * rowBytes);
            assert.ok(inTile.equals(alone.data), `directory ${jpeg.index} at 1/${scale}, interval ${vrow * grid.down + i}: pixels differ`);
          }
        }
      }
    }
  } finally {
    await source.close();
  }
});

test('JPEG headers say whether chroma is subsampled across or down (where joined intervals would not decode alike)', async () => {
  const image = sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 200, g: 40, b: 90 } } });
  const header = async (chromaSubsampling: string) => parseJpegHeader(await image.clone().jpeg({ chromaSubsampling }).toBuffer(), 'test JPEG');
  assert.deepEqual((await header('4:4:4')).sameSampling, { across: true, down: true });
  const subsampled = await header('4:2:0');
  assert.deepEqual(subsampled.sameSampling, { across: false, down: false });
  const grey = await sharp(Buffer.alloc(16 * 16, 0x77), { raw: { width: 16, height: 16, channels: 1 } }).toColourspace('b-w').jpeg().toBuffer();
  const greyHeader = parseJpegHeader(grey, 'grey JPEG');
  assert.deepEqual([greyHeader.components, greyHeader.sameSampling], [1, { across: true, down: true }]);
  // A 4:2:0 level keeps one interval per virtual tile (OpenSlide's pixels, not re-upsampled across joins);
  // a 4:4:4 one with narrow intervals joins them across too, up to ~512 px.
  const level = (h: typeof subsampled, tileWidth: number, tilesAcross: number): NdpiJpeg => ({
    index: 0, width: tileWidth * tilesAcross, height: 1536, strip: { offset: 0, length: 0 }, header: h,
    tileWidth, tileHeight: h.mcuHeight, tilesAcross, tilesDown: 1536 / h.mcuHeight, starts: () => Promise.resolve([]),
  });
  const g420 = virtualTileGrid(level(subsampled, 256, 10));
  assert.deepEqual([g420.across, g420.down], [1, 1]);
  const g444 = virtualTileGrid(level(await header('4:4:4'), 128, 10));
  assert.deepEqual([g444.tileWidth, g444.tileHeight], [512, 512]);
});
