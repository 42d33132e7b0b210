// Test helper: writes small TIFF/BigTIFF files byte by byte (either byte order, IFD chains, SubIFDs),
// so tests can build OME-TIFF pyramids and deliberately broken files that no library would write.
import { Tag } from '../tiff/tiff-tags.js';

export const TYPE = { BYTE: 1, ASCII: 2, SHORT: 3, LONG: 4, RATIONAL: 5, UNDEFINED: 7, LONG8: 16, IFD8: 18 } as const;

export interface EntrySpec {
  tag: number;
  type: number;
  /** Numbers (rationals as [num, den] pairs flattened), a string (ASCII, NUL added) or raw bytes. */
  value: number[] | string | Buffer;
}

export interface IfdSpec {
  entries: EntrySpec[];
  /** Compressed tiles (or strips when `strips`): offsets and byte counts are filled in. */
  pieces?: Buffer[];
  strips?: boolean;
  subIfds?: IfdSpec[];
}

export interface TiffSpec {
  littleEndian?: boolean;
  bigTiff?: boolean;
  ifds: IfdSpec[];
}

/** A tiled RGB image's usual entries. */
export function tiledImageEntries(o: {
  width: number;
  height: number;
  tileWidth: number;
  tileHeight: number;
  compression: number;
  photometric?: number;
  samples?: number;
  description?: string;
  subfileType?: number;
}): EntrySpec[] {
  const samples = o.samples ?? 3;
  const entries: EntrySpec[] = [
    { tag: Tag.NewSubfileType, type: TYPE.LONG, value: [o.subfileType ?? 0] },
    { tag: Tag.ImageWidth, type: TYPE.LONG, value: [o.width] },
    { tag: Tag.ImageLength, type: TYPE.LONG, value: [o.height] },
    { tag: Tag.BitsPerSample, type: TYPE.SHORT, value: new Array(samples).fill(8) },
    { tag: Tag.Compression, type: TYPE.SHORT, value: [o.compression] },
    { tag: Tag.Photometric, type: TYPE.SHORT, value: [o.photometric ?? (samples === 1 ? 1 : 2)] },
    { tag: Tag.SamplesPerPixel, type: TYPE.SHORT, value: [samples] },
    { tag: Tag.PlanarConfiguration, type: TYPE.SHORT, value: [1] },
    { tag: Tag.TileWidth, type: TYPE.LONG, value: [o.tileWidth] },
    { tag: Tag.TileLength, type: TYPE.LONG, value: [o.tileHeight] },
  ];
  if (o.description !== undefined) entries.push({ tag: Tag.ImageDescription, type: TYPE.ASCII, value: o.description });
  return entries;
}

const SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 7: 1, 16: 8, 18: 8 };

export function writeTiff(spec: TiffSpec): Buffer {
  const le = spec.littleEndian ?? true;
  const big = spec.bigTiff ?? false;
  const chunks: Buffer[] = [];
  let pos = big ? 16 : 8;
  const append = (b: Buffer): number => {
    // Word-align everything, as TIFF asks.
    if (pos % 2) {
      chunks.push(Buffer.alloc(1));
      pos++;
    }
    const at = pos;
    chunks.push(b);
    pos += b.length;
    return at;
  };
  const num = (n: number, size: number): Buffer => {
    const b = Buffer.alloc(size);
    if (size === 1) b.writeUInt8(n);
    else if (size === 2) {
      if (le) b.writeUInt16LE(n);
      else b.writeUInt16BE(n);
    } else if (size === 4) {
      if (le) b.writeUInt32LE(n >>> 0);
      else b.writeUInt32BE(n >>> 0);
    } else if (le) b.writeBigUInt64LE(BigInt(n));
    else b.writeBigUInt64BE(BigInt(n));
    return b;
  };
  const encode = (e: EntrySpec): { bytes: Buffer; count: number } => {
    if (typeof e.value === 'string') {
      const bytes = Buffer.concat([Buffer.from(e.value, 'utf8'), Buffer.from([0])]);
      return { bytes, count: bytes.length };
    }
    if (Buffer.isBuffer(e.value)) return { bytes: e.value, count: e.value.length };
    const size = SIZES[e.type];
    const bytes = Buffer.concat(e.value.map((v) => num(v, size)));
    return { bytes, count: e.type === TYPE.RATIONAL ? e.value.length / 2 : e.value.length };
  };
  const writeIfd = (ifd: IfdSpec, next: number): number => {
    const entries = [...ifd.entries];
    if (ifd.pieces) {
      const offsets = ifd.pieces.map((p) => append(p));
      const offType = big ? TYPE.LONG8 : TYPE.LONG;
      entries.push({ tag: ifd.strips ? Tag.StripOffsets : Tag.TileOffsets, type: offType, value: offsets });
      entries.push({ tag: ifd.strips ? Tag.StripByteCounts : Tag.TileByteCounts, type: offType, value: ifd.pieces.map((p) => p.length) });
    }
    if (ifd.subIfds) {
      const subOffsets = ifd.subIfds.map((s) => writeIfd(s, 0));
      entries.push({ tag: Tag.SubIFDs, type: big ? TYPE.IFD8 : TYPE.LONG, value: subOffsets });
    }
    entries.sort((a, b) => a.tag - b.tag);
    const inline = big ? 8 : 4;
    const rows = entries.map((e) => {
      const { bytes, count } = encode(e);
      const value = bytes.length <= inline ? Buffer.concat([bytes, Buffer.alloc(inline - bytes.length)]) : num(append(bytes), inline);
      return Buffer.concat([num(e.tag, 2), num(e.type, 2), num(count, big ? 8 : 4), value]);
    });
    return append(Buffer.concat([num(entries.length, big ? 8 : 2), ...rows, num(next, big ? 8 : 4)]));
  };
  let next = 0;
  for (const ifd of [...spec.ifds].reverse()) next = writeIfd(ifd, next);
  const header = big
    ? Buffer.concat([Buffer.from(le ? 'II' : 'MM', 'latin1'), num(43, 2), num(8, 2), num(0, 2), num(next, 8)])
    : Buffer.concat([Buffer.from(le ? 'II' : 'MM', 'latin1'), num(42, 2), num(next, 4)]);
  return Buffer.concat([header, ...chunks]);
}

/** Cuts raw RGB(A) pixels into tiles (edge tiles padded with zeros, as TIFF requires). */
export function cutTiles(raw: Buffer, width: number, height: number, channels: number, tw: number, th: number): Buffer[] {
  const tiles: Buffer[] = [];
  for (let ty = 0; ty < height; ty += th) {
    for (let tx = 0; tx < width; tx += tw) {
      const tile = Buffer.alloc(tw * th * channels);
      for (let y = 0; y < th && ty + y < height; y++) {
        const w = Math.min(tw, width - tx);
        raw.copy(tile, y * tw * channels, ((ty + y) * width + tx) * channels, ((ty + y) * width + tx + w) * channels);
      }
      tiles.push(tile);
    }
  }
  return tiles;
}
