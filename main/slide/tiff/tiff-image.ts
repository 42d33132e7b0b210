// One TIFF image (a directory) as a grid of compressed pieces: tiles, or strips treated as full-width
// tiles. Validates geometry against the limits so later reads can trust it.
import { SlideError } from '../slide-errors.js';
import { TiffTags, type TiffDirectory, type TiffFile } from './tiff-file.js';
import { Compression, Photometric, Tag } from './tiff-tags.js';

/** Largest accepted image side in pixels (2^20): far beyond any scanner, small enough to stay safe. */
export const MAX_IMAGE_SIDE = 1 << 20;
/** Largest accepted tile (or strip) in pixels: 2^26 = 8192 × 8192. */
export const MAX_TILE_PIXELS = 1 << 26;
/** Largest accepted compressed tile in bytes. */
export const MAX_TILE_BYTES = 256 * 1024 * 1024;

export interface TiffImage {
  tags: TiffTags;
  dir: TiffDirectory;
  width: number;
  height: number;
  tiled: boolean;
  /** Tile size; for stripped images the full width × RowsPerStrip. */
  tileWidth: number;
  tileHeight: number;
  tilesAcross: number;
  tilesDown: number;
  offsets: number[];
  byteCounts: number[];
  compression: number;
  photometric: number;
  samplesPerPixel: number;
  /** Shared JPEG tables (abbreviated tile streams), if any. */
  jpegTables?: Buffer;
  predictor: number;
  littleEndian: boolean;
  /** YCbCr chroma subsampling (for uncompressed/LZW YCbCr, unsupported except 1×1). */
  ycbcrSubsampling: [number, number];
}

export function isTiled(dir: TiffDirectory): boolean {
  return dir.entries.has(Tag.TileWidth) && dir.entries.has(Tag.TileOffsets);
}

export function readTiffImage(file: TiffFile, dir: TiffDirectory): TiffImage {
  const path = file.source.path;
  const tags = new TiffTags(dir, file.littleEndian, path);
  const fail = (msg: string): never => {
    throw new SlideError('corrupt', `${path} is corrupt: ${msg}`);
  };
  const width = tags.number(Tag.ImageWidth) ?? fail('an image has no width');
  const height = tags.number(Tag.ImageLength) ?? fail('an image has no height');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) fail(`an image is ${width}×${height} pixels`);
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    throw new SlideError('too-large', `${path}: an image of ${width}×${height} pixels exceeds the ${MAX_IMAGE_SIDE}-pixel limit per side`);
  }
  const tiled = isTiled(dir);
  let tileWidth: number;
  let tileHeight: number;
  let offsets: number[];
  let byteCounts: number[];
  if (tiled) {
    tileWidth = tags.number(Tag.TileWidth) ?? 0;
    tileHeight = tags.number(Tag.TileLength) ?? fail('a tiled image has no tile height');
    offsets = tags.numbers(Tag.TileOffsets) ?? [];
    byteCounts = tags.numbers(Tag.TileByteCounts) ?? fail('a tiled image has no tile byte counts');
  } else {
    if (!tags.has(Tag.StripOffsets)) {
      throw new SlideError('unsupported-format', `${path}: an image has neither tiles nor strips`);
    }
    tileWidth = width;
    const rows = tags.number(Tag.RowsPerStrip) ?? height;
    tileHeight = Math.min(rows, height);
    offsets = tags.numbers(Tag.StripOffsets) ?? [];
    byteCounts = tags.numbers(Tag.StripByteCounts) ?? fail('a stripped image has no strip byte counts');
  }
  if (!Number.isInteger(tileWidth) || !Number.isInteger(tileHeight) || tileWidth < 1 || tileHeight < 1) {
    fail(`tiles of ${tileWidth}×${tileHeight} pixels`);
  }
  if (tileWidth * tileHeight > MAX_TILE_PIXELS) {
    throw new SlideError('too-large', `${path}: tiles of ${tileWidth}×${tileHeight} pixels exceed this reader's limit`);
  }
  const tilesAcross = Math.ceil(width / tileWidth);
  const tilesDown = Math.ceil(height / tileHeight);
  const planar = tags.number(Tag.PlanarConfiguration) ?? 1;
  const samplesPerPixel = tags.number(Tag.SamplesPerPixel) ?? 1;
  if (planar !== 1 && samplesPerPixel > 1) {
    throw new SlideError('unsupported-feature', `${path}: separate colour planes (PlanarConfiguration ${planar}) are not supported`);
  }
  if (offsets.length !== tilesAcross * tilesDown || byteCounts.length !== offsets.length) {
    fail(`an image of ${width}×${height} in ${tileWidth}×${tileHeight} pieces needs ${tilesAcross * tilesDown} of them, but lists ${offsets.length} offsets and ${byteCounts.length} byte counts`);
  }
  const bits = tags.numbers(Tag.BitsPerSample) ?? [1];
  const compression = tags.number(Tag.Compression) ?? Compression.None;
  if (bits.some((b) => b !== 8)) {
    throw new SlideError('unsupported-feature', `${path}: ${bits.join('/')}-bit samples are not supported (8-bit only)`);
  }
  if (![1, 3, 4].includes(samplesPerPixel)) {
    throw new SlideError('unsupported-feature', `${path}: ${samplesPerPixel} samples per pixel are not supported`);
  }
  const photometric = tags.number(Tag.Photometric) ?? (samplesPerPixel === 1 ? Photometric.MinIsBlack : Photometric.RGB);
  const sub = tags.numbers(Tag.YCbCrSubSampling) ?? [2, 2];
  return {
    tags,
    dir,
    width,
    height,
    tiled,
    tileWidth,
    tileHeight,
    tilesAcross,
    tilesDown,
    offsets,
    byteCounts,
    compression,
    photometric,
    samplesPerPixel,
    jpegTables: tags.bytes(Tag.JPEGTables),
    predictor: tags.number(Tag.Predictor) ?? 1,
    littleEndian: file.littleEndian,
    ycbcrSubsampling: [sub[0] ?? 2, sub[1] ?? 2],
  };
}

/** The compressed bytes of piece (col, row), read from the file with bounds checks. */
export async function readTiffPiece(file: TiffFile, image: TiffImage, col: number, row: number, headroom = 0): Promise<Buffer> {
  const path = file.source.path;
  if (!Number.isInteger(col) || !Number.isInteger(row) || col < 0 || row < 0 || col >= image.tilesAcross || row >= image.tilesDown) {
    throw new SlideError('invalid-argument', `Tile (${col}, ${row}) is outside the ${image.tilesAcross}×${image.tilesDown} tile grid`);
  }
  const i = row * image.tilesAcross + col;
  const offset = image.offsets[i];
  const length = image.byteCounts[i];
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || length < 0) {
    throw new SlideError('corrupt', `${path} is corrupt: tile ${col},${row} has an invalid offset or size`);
  }
  if (length > MAX_TILE_BYTES) throw new SlideError('too-large', `${path}: tile ${col},${row} claims ${length} bytes`);
  return file.source.read(offset, length, headroom);
}
