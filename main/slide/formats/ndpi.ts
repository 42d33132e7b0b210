// Hamamatsu NDPI (OpenSlide's openslide-vendor-hamamatsu.c, NDPI part): a TIFF dialect with 64-bit offset
// extensions (`ndpi/ndpi-tiff.ts`) whose every directory is one JPEG in one strip. Directories with a
// positive SourceLens (tag 65421) at focal plane 0 are the levels, largest first; SourceLens -1 is the
// macro image; others (-2: the map) are ignored. A level JPEG with restart markers is a grid of tiles,
// one per restart interval, located by the McuStarts tags (65426 low, 65432 high 32 bits) or, when those
// are missing, by scanning for the markers once. Like OpenSlide, each level whose tile size divides by
// 2, 4 or 8 also yields levels decoded at 1/2, 1/4, 1/8 scale in the JPEG decoder; a stored directory of
// the same width replaces a derived one.
import { createHash } from 'node:crypto';
import type { RgbaImage } from '../codecs/rgba.js';
import { decodeJpeg } from '../codecs/jpeg.js';
import type { FileSource } from '../file-source.js';
import {
  decodeJpegScaled,
  findRestartMarkers,
  JPEG_MAX_DIMENSION,
  MAX_JPEG_HEADER_BYTES,
  parseJpegHeader,
  tileJpeg,
  type NdpiJpegHeader,
} from '../ndpi/ndpi-jpeg.js';
import { isNdpiFile, readNdpiTiff } from '../ndpi/ndpi-tiff.js';
import { checkRegionSize } from '../region-reader.js';
import { SlideError } from '../slide-errors.js';
import type { NativeTile, OpenSlideOptions, SlideFormat, SlideReader } from '../slide-reader.js';
import type { TileGridLevel } from '../tile-grid.js';
import { TiledSlide, type AssociatedImageSource } from '../tiled-slide.js';
import { TiffTags, type TiffDirectory } from '../tiff/tiff-file.js';
import { MAX_TILE_PIXELS } from '../tiff/tiff-image.js';
import { levelDownsample, tiffProperties, TIFF_STRING_TAGS } from '../tiff/tiff-properties.js';
import { Tag } from '../tiff/tiff-tags.js';

export const NdpiTag = {
  FormatFlag: 65420,
  SourceLens: 65421,
  XOffset: 65422,
  YOffset: 65423,
  FocalPlane: 65424,
  McuStarts: 65426,
  Reference: 65427,
  McuStartsHigh: 65432,
  PropertyMap: 65449,
} as const;

/** OpenSlide refuses to quickhash more than this; the property is left out then. */
const MAX_HASHED_BYTES = 5 << 20;
/** Bytes read per step when scanning a level for restart markers (no McuStarts tag). */
const SCAN_CHUNK_BYTES = 4 << 20;
/** Restart intervals per level accepted (a 64 MiB McuStarts tag holds 16 Mi). */
const MAX_TILES_PER_LEVEL = 1 << 24;

export const ndpi: SlideFormat = {
  name: 'hamamatsu-ndpi',

  detect(source: FileSource): Promise<boolean> {
    return isNdpiFile(source);
  },

  async open(source: FileSource, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const path = source.path;
    const tiff = await readNdpiTiff(source);
    const tagsOf = (dir: TiffDirectory) => new TiffTags(dir, tiff.littleEndian, path);
    const jpegs: NdpiJpeg[] = [];
    let macro: AssociatedImageSource | null = null;
    let smallest: { tags: TiffTags; strip: Strip } | null = null;
    for (const [index, dir] of tiff.directories.entries()) {
      const tags = tagsOf(dir);
      const lens = tags.number(NdpiTag.SourceLens);
      if (lens === undefined) throw new SlideError('corrupt', `${path} is corrupt: NDPI directory ${index} has no SourceLens tag (${NdpiTag.SourceLens})`);
      if (lens > 0) {
        if ((tags.number(NdpiTag.FocalPlane) ?? 0) !== 0) continue; // other focal planes of a z-stack
        const strip = readStrip(source, tags, index);
        const jpeg = await readLevelJpeg(source, tags, strip, index);
        const previous = jpegs[jpegs.length - 1];
        if (previous && jpeg.width >= previous.width) {
          throw new SlideError('corrupt', `${path} has an unexpected NDPI layout: level directory ${index} (${jpeg.width} wide) is not smaller than the one before it`);
        }
        jpegs.push(jpeg);
        smallest = { tags, strip };
      } else if (lens === -1) {
        macro = await macroImage(source, readStrip(source, tags, index), index);
      }
    }
    if (jpegs.length === 0 || !smallest) throw new SlideError('corrupt', `${path} is an NDPI file with no pyramid levels`);
    const levels = pyramid(source, jpegs);
    const first = tagsOf(tiff.directories[0]);
    const properties = { ...tiffProperties(first), ...ndpiProperties(first) };
    const quickHash = await ndpiQuickHash(source, smallest.strip, first);
    if (quickHash) properties['openslide.quickhash-1'] = quickHash;
    const mpp = ndpiMpp(first);
    const lens = first.number(NdpiTag.SourceLens);
    return new TiledSlide(
      {
        vendor: 'hamamatsu',
        source,
        levels,
        mpp,
        objectivePower: lens !== undefined && Number.isFinite(lens) && lens > 0 ? lens : null,
        properties,
        associated: macro ? [macro] : [],
      },
      options,
    );
  },
};

// ---- levels -------------------------------------------------------------------------------------

interface Strip {
  offset: number;
  length: number;
}

/** One stored level: its JPEG's header and how its entropy-coded data is cut into restart intervals. */
interface NdpiJpeg {
  index: number;
  width: number;
  height: number;
  strip: Strip;
  header: NdpiJpegHeader;
  tileWidth: number;
  tileHeight: number;
  tilesAcross: number;
  tilesDown: number;
  /** Absolute file offset where each interval's data starts (from the tag, or found by a scan on first use). */
  starts: () => Promise<number[]>;
}

function readStrip(source: FileSource, tags: TiffTags, index: number): Strip {
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

async function readHeader(source: FileSource, strip: Strip, describe: string, requireBaseline = true): Promise<NdpiJpegHeader> {
  const head = await source.read(strip.offset, Math.min(strip.length, MAX_JPEG_HEADER_BYTES));
  return parseJpegHeader(head, describe, requireBaseline);
}

async function readLevelJpeg(source: FileSource, tags: TiffTags, strip: Strip, index: number): Promise<NdpiJpeg> {
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
async function intervalData(source: FileSource, jpeg: NdpiJpeg, tile: number): Promise<Buffer> {
  const starts = await jpeg.starts();
  const start = starts[tile];
  const stop = tile + 1 < starts.length ? starts[tile + 1] : jpeg.strip.offset + jpeg.strip.length;
  if (tile > 0) {
    // Check the marker the table promises just before the interval.
    const data = await source.read(start - 2, stop - start + 2);
    if (data[0] !== 0xff || data[1] < 0xd0 || data[1] > 0xd7) {
      throw new SlideError('corrupt', `${source.path} is corrupt: no restart marker at byte ${start - 2}, where NDPI directory ${jpeg.index}'s McuStarts table puts one`);
    }
    return data.subarray(2);
  }
  return source.read(start, stop - start);
}

/** The levels OpenSlide lists: stored ones, plus 1/2, 1/4, 1/8-scaled ones; a stored level replaces a derived one of the same width. */
function pyramid(source: FileSource, jpegs: NdpiJpeg[]): TileGridLevel[] {
  const byWidth = new Map<number, { jpeg: NdpiJpeg; scale: number }>();
  for (const jpeg of jpegs) {
    byWidth.set(jpeg.width, { jpeg, scale: 1 });
    for (const scale of [2, 4, 8]) {
      if (jpeg.tileWidth % scale || jpeg.tileHeight % scale) continue;
      byWidth.set(Math.floor(jpeg.width / scale), { jpeg, scale });
    }
  }
  const chosen = [...byWidth.values()].sort((a, b) => b.jpeg.width / b.scale - a.jpeg.width / a.scale);
  const base = { width: jpegs[0].width, height: jpegs[0].height };
  return chosen.map(({ jpeg, scale }) => {
    const size = { width: Math.floor(jpeg.width / scale), height: Math.floor(jpeg.height / scale) };
    return jpegLevel(source, jpeg, scale, levelDownsample(base, size));
  });
}

function jpegLevel(source: FileSource, jpeg: NdpiJpeg, scale: number, downsample: number): TileGridLevel {
  const describe = (col: number, row: number) => `${source.path}: tile ${col},${row} of NDPI directory ${jpeg.index}`;
  const stream = async (col: number, row: number): Promise<Buffer> => {
    const data = await intervalData(source, jpeg, row * jpeg.tilesAcross + col);
    return tileJpeg(jpeg.header, data, jpeg.tileWidth, jpeg.tileHeight, describe(col, row));
  };
  return {
    width: Math.floor(jpeg.width / scale),
    height: Math.floor(jpeg.height / scale),
    downsample,
    tileWidth: jpeg.tileWidth / scale,
    tileHeight: jpeg.tileHeight / scale,
    tilesAcross: jpeg.tilesAcross,
    tilesDown: jpeg.tilesDown,
    async decodeTile(col: number, row: number): Promise<RgbaImage> {
      const tile = await decodeJpegScaled(await stream(col, row), jpeg.tileWidth, jpeg.tileHeight, scale, describe(col, row));
      const want = { width: jpeg.tileWidth / scale, height: jpeg.tileHeight / scale };
      if (tile.width !== want.width || tile.height !== want.height) {
        throw new SlideError('corrupt', `${describe(col, row)} decoded to ${tile.width}×${tile.height} pixels where ${want.width}×${want.height} were expected`);
      }
      return tile;
    },
    async readNativeTile(col: number, row: number): Promise<NativeTile | null> {
      if (scale !== 1) return null;
      return { encoding: 'jpeg', bytes: await stream(col, row), width: jpeg.tileWidth, height: jpeg.tileHeight };
    },
  };
}

async function macroImage(source: FileSource, strip: Strip, index: number): Promise<AssociatedImageSource> {
  const describe = `${source.path}: the macro image (NDPI directory ${index})`;
  const header = await readHeader(source, strip, describe, false);
  const { width, height } = header;
  if (width < 1 || height < 1) throw new SlideError('corrupt', `${describe} is a JPEG of ${width}×${height} pixels`);
  return {
    name: 'macro',
    width,
    height,
    read: async () => {
      checkRegionSize(width, height);
      const image = await decodeJpeg(await source.read(strip.offset, strip.length), width * height);
      if (image.width !== width || image.height !== height) throw new SlideError('corrupt', `${describe} decoded to ${image.width}×${image.height} pixels`);
      return image;
    },
  };
}

// ---- metadata -----------------------------------------------------------------------------------

/** `hamamatsu.*` and the `openslide.*` ones NDPI gives (mpp, objective power), as OpenSlide 3.4.1 names and formats them. */
export function ndpiProperties(tags: TiffTags): Record<string, string> {
  const p: Record<string, string> = {};
  const mpp = ndpiMpp(tags);
  if (mpp) {
    p['openslide.mpp-x'] = formatDouble(mpp.x);
    p['openslide.mpp-y'] = formatDouble(mpp.y);
  }
  const lens = tags.number(NdpiTag.SourceLens);
  if (lens !== undefined && Number.isFinite(lens)) {
    p['hamamatsu.SourceLens'] = formatDouble(lens);
    p['openslide.objective-power'] = formatDouble(lens);
  }
  const x = tags.number(NdpiTag.XOffset);
  if (x !== undefined && Number.isFinite(x)) p['hamamatsu.XOffsetFromSlideCentre'] = String(x);
  const y = tags.number(NdpiTag.YOffset);
  if (y !== undefined && Number.isFinite(y)) p['hamamatsu.YOffsetFromSlideCentre'] = String(y);
  const reference = tags.string(NdpiTag.Reference);
  if (reference !== undefined) p['hamamatsu.Reference'] = reference;
  // The ASCII property map: "key=value" records separated by CRLF; empty keys or values are skipped.
  const map = tags.string(NdpiTag.PropertyMap);
  if (map !== undefined) {
    for (const record of map.split('\r\n')) {
      const eq = record.indexOf('=');
      if (eq <= 0 || eq === record.length - 1) continue;
      p[`hamamatsu.${record.slice(0, eq)}`] = record.slice(eq + 1);
    }
  }
  return p;
}

/** MPP from X/YResolution in pixels per centimetre (OpenSlide reads no other unit for NDPI). */
function ndpiMpp(tags: TiffTags): { x: number; y: number } | null {
  if ((tags.number(Tag.ResolutionUnit) ?? 2) !== 3) return null;
  const x = tags.number(Tag.XResolution);
  const y = tags.number(Tag.YResolution);
  if (!x || !y || !Number.isFinite(x) || !Number.isFinite(y) || x <= 0 || y <= 0) return null;
  return { x: 10000 / x, y: 10000 / y };
}

/** glib's g_ascii_dtostr, which OpenSlide formats doubles with: C's "%.17g". */
export function formatDouble(d: number): string {
  if (!Number.isFinite(d)) return Number.isNaN(d) ? 'nan' : d > 0 ? 'inf' : '-inf';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  const [mantissa, expPart] = d.toExponential(16).split('e');
  const exp = Number(expPart);
  if (exp < -4 || exp >= 17) {
    const m = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '') : mantissa;
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = d.toFixed(Math.max(0, 16 - exp));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** OpenSlide's quickhash-1 for NDPI: SHA-256 of the smallest level's strip, then the `tiff.*` strings of the first directory. */
async function ndpiQuickHash(source: FileSource, strip: Strip, tags: TiffTags): Promise<string | null> {
  if (strip.length > MAX_HASHED_BYTES) return null;
  const hash = createHash('sha256');
  hash.update(await source.read(strip.offset, strip.length));
  const nul = Buffer.from([0]);
  for (const [name, tag] of TIFF_STRING_TAGS) {
    hash.update(name);
    hash.update(nul);
    const value = tags.string(tag);
    if (value !== undefined) hash.update(value, 'utf8');
    hash.update(nul);
  }
  return hash.digest('hex');
}
