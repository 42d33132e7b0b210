// One NDPI directory's JPEG (every NDPI directory holds one, in one strip), and for a pyramid level how
// its entropy-coded data is cut into restart intervals: located by the McuStarts tags (65426 low, 65432
// high 32 bits) or, when those are missing, by scanning for the markers once, on first use. Reading an
// interval checks that the marker the table promises is there.
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import type { TiffTags } from '../tiff/tiff-file.js';
import { MAX_TILE_PIXELS } from '../tiff/tiff-image.js';
import { Tag } from '../tiff/tiff-tags.js';
import { JPEG_MAX_DIMENSION, MAX_JPEG_HEADER_BYTES, parseJpegHeader, type JpegHeader } from '../codecs/jpeg-header.js';
import { findRestartMarkers } from './ndpi-jpeg.js';
import { NdpiTag } from './ndpi-tags.js';

/** Bytes read per step when scanning a level for restart markers (no McuStarts tag). */
const SCAN_CHUNK_BYTES = 4 << 20;
/** Restart intervals per level accepted (a 64 MiB McuStarts tag holds 16 Mi). */
const MAX_TILES_PER_LEVEL = 1 << 24;

export interface NdpiStrip {
  offset: number;
  length: number;
}

/** One stored level: its JPEG's header and how its entropy-coded data is cut into restart intervals. */
export interface NdpiJpeg {
  /** The directory's index in the file (for messages). */
  index: number;
  width: number;
  height: number;
  strip: NdpiStrip;
  header: JpegHeader;
  /** One restart interval: a tile (the whole JPEG when it has no restart markers). */
  tileWidth: number;
  tileHeight: number;
  tilesAcross: number;
  tilesDown: number;
  /** Absolute file offset where each interval's data starts (from the tag, or found by a scan on first use). */
  starts: () => Promise<number[]>;
}

/** The directory's one strip, checked against the file. */
export function readStrip(source: FileSource, tags: TiffTags, index: number): NdpiStrip {
  const path = source.path;
  const offsets = tags.numbers(Tag.StripOffsets);
  const counts = tags.numbers(Tag.StripByteCounts);
  if (!offsets || !counts || offsets.length !== 1 || counts.length !== 1) {
    throw new SlideError('corrupt', `${path} is corrupt: NDPI directory ${index} should hold its JPEG in exactly one strip`);
  }
  const [offset] = offsets;
  const [length] = counts;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 8 || length < 4) {
    throw new SlideError('corrupt', `${path} is corrupt: NDPI directory ${index} has an invalid strip (${length} bytes at ${offset})`);
  }
  if (offset + length > source.size) {
    throw new SlideError(
      'truncated',
      `${path} is truncated: the JPEG of NDPI directory ${index} (bytes ${offset}–${offset + length}) lies past the end of the file (${source.size} bytes)`,
    );
  }
  return { offset, length };
}

export async function readHeader(source: FileSource, strip: NdpiStrip, describe: string, requireBaseline = true): Promise<JpegHeader> {
  const head = await source.read(strip.offset, Math.min(strip.length, MAX_JPEG_HEADER_BYTES));
  return parseJpegHeader(head, describe, requireBaseline);
}

/** A level directory's JPEG: its size (the TIFF's where the SOF cannot state it) and its restart-interval grid. */
export async function readLevelJpeg(source: FileSource, tags: TiffTags, strip: NdpiStrip, index: number): Promise<NdpiJpeg> {
  const path = source.path;
  const describe = `${path}: the JPEG of NDPI directory ${index}`;
  let width = tags.number(Tag.ImageWidth) ?? 0;
  let height = tags.number(Tag.ImageLength) ?? 0;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw new SlideError('corrupt', `${path} is corrupt: NDPI directory ${index} is ${width}×${height} pixels`);
  }
  const header = await readHeader(source, strip, describe);
  const tiled = header.restartInterval > 0;
  // Sides over JPEG's limit cannot be stated in the SOF (NDPI writes 0 or junk there): the TIFF size rules.
  if (width <= JPEG_MAX_DIMENSION && height <= JPEG_MAX_DIMENSION && (header.width !== width || header.height !== height)) {
    if (tiled) {
      throw new SlideError('corrupt', `${describe} is ${header.width}×${header.height} pixels where the directory says ${width}×${height}`);
    }
    // Untiled small levels: the JPEG's size wins, as in OpenSlide.
    width = header.width;
    height = header.height;
  }
  let tileWidth = width;
  let tileHeight = height;
  let tilesAcross = 1;
  let tilesDown = 1;
  if (tiled) {
    const mcusPerRow = Math.ceil(width / header.mcuWidth);
    if (header.restartInterval > mcusPerRow || mcusPerRow % header.restartInterval !== 0) {
      throw new SlideError(
        'unsupported-feature',
        `${describe} has restart intervals of ${header.restartInterval} MCUs that do not divide its rows of ${mcusPerRow} MCUs, so it cannot be cut into tiles`,
      );
    }
    tileWidth = header.mcuWidth * header.restartInterval;
    tileHeight = header.mcuHeight;
    tilesAcross = mcusPerRow / header.restartInterval;
    tilesDown = Math.ceil(height / header.mcuHeight);
    if (tileWidth > JPEG_MAX_DIMENSION) throw new SlideError('unsupported-feature', `${describe} has restart intervals ${tileWidth} pixels wide, more than a JPEG can state`);
    if (tilesAcross * tilesDown > MAX_TILES_PER_LEVEL) throw new SlideError('too-large', `${describe} has more than ${MAX_TILES_PER_LEVEL} restart intervals`);
  }
  if (tileWidth * tileHeight > MAX_TILE_PIXELS) {
    throw new SlideError(
      'too-large',
      `${describe} is ${width}×${height} pixels without restart markers: too large to decode in one piece (limit ${MAX_TILE_PIXELS} pixels)`,
    );
  }
  const jpeg: NdpiJpeg = { index, width, height, strip, header, tileWidth, tileHeight, tilesAcross, tilesDown, starts: () => Promise.resolve([]) };
  const tileCount = tilesAcross * tilesDown;
  const known = tileCount === 1 ? [strip.offset + header.bytes.length] : recordedStarts(path, tags, jpeg, tileCount);
  if (known) {
    const ready = Promise.resolve(known);
    jpeg.starts = () => ready;
  } else {
    // No usable McuStarts tag: find the markers once, on first use (in bounded chunks, never the whole level in memory).
    let scan: Promise<number[]> | null = null;
    jpeg.starts = () => (scan ??= scanRestartMarkers(source, jpeg, tileCount));
  }
  return jpeg;
}

/** The McuStarts tag as absolute offsets, or null when absent or of the wrong count; throws when its offsets point outside the data. */
function recordedStarts(path: string, tags: TiffTags, jpeg: NdpiJpeg, tileCount: number): number[] | null {
  const low = tags.numbers(NdpiTag.McuStarts);
  if (!low || low.length !== tileCount) return null;
  const high = tags.numbers(NdpiTag.McuStartsHigh);
  if (high && high.length !== tileCount) return null;
  const dataStart = jpeg.strip.offset + jpeg.header.bytes.length;
  const dataEnd = jpeg.strip.offset + jpeg.strip.length;
  const starts: number[] = new Array(tileCount);
  // The first interval starts right after the header, whatever the table says (as OpenSlide).
  starts[0] = dataStart;
  for (let i = 1; i < tileCount; i++) {
    const start = jpeg.strip.offset + (high ? high[i] * 2 ** 32 : 0) + low[i];
    if (!Number.isSafeInteger(start) || start <= starts[i - 1] || start >= dataEnd - 1) {
      throw new SlideError(
        'corrupt',
        `${path} is corrupt: the restart-marker offsets of NDPI directory ${jpeg.index} (McuStarts tag ${NdpiTag.McuStarts}) are invalid: ` +
          `interval ${i} would start at byte ${start}, ${start >= dataEnd - 1 ? `past its JPEG data (bytes ${dataStart}–${dataEnd})` : 'before the interval preceding it'}`,
      );
    }
    starts[i] = start;
  }
  return starts;
}

async function scanRestartMarkers(source: FileSource, jpeg: NdpiJpeg, tileCount: number): Promise<number[]> {
  const dataStart = jpeg.strip.offset + jpeg.header.bytes.length;
  const dataEnd = jpeg.strip.offset + jpeg.strip.length;
  const starts = [dataStart];
  for (let at = dataStart; at < dataEnd && starts.length < tileCount; at += SCAN_CHUNK_BYTES) {
    // One byte more than the chunk, so a marker split across two chunks is seen once, in the first.
    const length = Math.min(SCAN_CHUNK_BYTES + 1, dataEnd - at);
    const chunk = await source.read(at, length);
    for (const after of findRestartMarkers(chunk, Math.min(SCAN_CHUNK_BYTES, length), tileCount - starts.length)) starts.push(at + after);
  }
  if (starts.length < tileCount) {
    throw new SlideError(
      'corrupt',
      `${source.path} is corrupt: the JPEG of NDPI directory ${jpeg.index} has ${starts.length} restart intervals where its size needs ${tileCount}`,
    );
  }
  return starts;
}

/** Interval `tile`'s entropy-coded bytes, ending with its RSTn marker (or the stream's EOI). */
export async function intervalData(source: FileSource, jpeg: NdpiJpeg, tile: number): Promise<Buffer> {
  const [data] = await intervalRunData(source, jpeg, tile, tile);
  return data;
}

/**
 * The bytes of intervals first…last (consecutive in the stream), one piece per interval, each ending
 * with its RSTn marker (or the stream's EOI), read in one go. Checks that each marker is where the
 * McuStarts table puts it.
 */
export async function intervalRunData(source: FileSource, jpeg: NdpiJpeg, first: number, last: number): Promise<Buffer[]> {
  const starts = await jpeg.starts();
  // From the marker before the first interval, so that it is checked too.
  const begin = first > 0 ? starts[first] - 2 : starts[first];
  const data = await source.read(begin, intervalEnd(jpeg, starts, last) - begin);
  const noMarker = (at: number) =>
    new SlideError('corrupt', `${source.path} is corrupt: no restart marker at byte ${at}, where NDPI directory ${jpeg.index}'s McuStarts table puts one`);
  if (first > 0 && !isRestartMarker(data, 0)) throw noMarker(begin);
  const pieces: Buffer[] = [];
  for (let tile = first; tile <= last; tile++) {
    const end = intervalEnd(jpeg, starts, tile);
    const piece = data.subarray(starts[tile] - begin, end - begin);
    if (tile + 1 < starts.length) {
      // Each interval ends with the marker before the next one's start.
      if (!isRestartMarker(data, end - 2 - begin)) throw noMarker(end - 2);
    } else if (piece.length < 2 || piece[piece.length - 2] !== 0xff) {
      throw new SlideError('corrupt', `${source.path}: the last restart interval of NDPI directory ${jpeg.index} does not end with a marker (EOI)`);
    }
    pieces.push(piece);
  }
  return pieces;
}

function intervalEnd(jpeg: NdpiJpeg, starts: number[], tile: number): number {
  return tile + 1 < starts.length ? starts[tile + 1] : jpeg.strip.offset + jpeg.strip.length;
}

function isRestartMarker(data: Buffer, at: number): boolean {
  return at >= 0 && at + 1 < data.length && data[at] === 0xff && data[at + 1] >= 0xd0 && data[at + 1] <= 0xd7;
}
