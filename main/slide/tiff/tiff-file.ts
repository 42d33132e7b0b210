// TIFF and BigTIFF directory parser: header, IFD chains and SubIFDs, with every offset and count
// checked against the file and the limits below, so a corrupt or hostile file fails with a SlideError.
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import { Tag } from './tiff-tags.js';

/** Directories per file; real slides have tens. Stops IFD chains that wander forever. */
const MAX_DIRECTORIES = 1024;
/** Entries per directory; real ones have ~20. */
const MAX_ENTRIES = 4096;
/** Bytes of one tag's value (tile offset arrays of a huge level fit easily). */
const MAX_TAG_BYTES = 64 * 1024 * 1024;

/** Byte size of each TIFF field type; 0 = unknown type (its entry is skipped, as libtiff does). */
const TYPE_SIZES: Record<number, number> = {
  1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8,
};

export interface TiffEntry {
  tag: number;
  type: number;
  count: number;
  /** The value's raw bytes, in the file's byte order. */
  bytes: Buffer;
}

export interface TiffDirectory {
  /** File offset of the IFD: a stable identity. */
  offset: number;
  /** Raw bytes of the IFD table itself (used for fingerprints). */
  raw: Buffer;
  entries: Map<number, TiffEntry>;
  /** Directories named by this one's SubIFDs tag (OME-TIFF and libvips pyramids). */
  subDirectories: TiffDirectory[];
}

const parsedFiles = new WeakMap<FileSource, Promise<TiffFile>>();

export class TiffFile {
  private constructor(
    readonly source: FileSource,
    readonly littleEndian: boolean,
    readonly bigTiff: boolean,
    /** Main IFD chain, in file order. */
    readonly directories: TiffDirectory[],
  ) {}

  /** True when the first bytes are a TIFF or BigTIFF header (cheap, never throws on short files). */
  static async isTiff(source: FileSource): Promise<boolean> {
    if (source.size < 8) return false;
    const head = await source.read(0, 4);
    const order = head.toString('latin1', 0, 2);
    if (order !== 'II' && order !== 'MM') return false;
    const magic = order === 'II' ? head.readUInt16LE(2) : head.readUInt16BE(2);
    return magic === 42 || magic === 43;
  }

  /** The parsed directories of `source`, parsed once per open file (detection and opening share them). */
  static open(source: FileSource): Promise<TiffFile> {
    let parsed = parsedFiles.get(source);
    if (!parsed) {
      parsed = TiffFile.parse(source);
      parsedFiles.set(source, parsed);
    }
    return parsed;
  }

  private static async parse(source: FileSource): Promise<TiffFile> {
    if (source.size < 8) throw new SlideError('truncated', `${source.path} is too short to be a TIFF file (${source.size} bytes)`);
    const head = await source.read(0, Math.min(16, source.size));
    const order = head.toString('latin1', 0, 2);
    if (order !== 'II' && order !== 'MM') throw new SlideError('unsupported-format', `${source.path} is not a TIFF file`);
    const le = order === 'II';
    const magic = le ? head.readUInt16LE(2) : head.readUInt16BE(2);
    let bigTiff: boolean;
    let first: number;
    if (magic === 42) {
      bigTiff = false;
      first = le ? head.readUInt32LE(4) : head.readUInt32BE(4);
    } else if (magic === 43) {
      if (head.length < 16) throw new SlideError('truncated', `${source.path} is truncated: its BigTIFF header is incomplete`);
      const byteSize = le ? head.readUInt16LE(4) : head.readUInt16BE(4);
      if (byteSize !== 8) throw new SlideError('corrupt', `${source.path} has an invalid BigTIFF header (offset size ${byteSize})`);
      bigTiff = true;
      first = toSafe(le ? head.readBigUInt64LE(8) : head.readBigUInt64BE(8), source.path);
    } else {
      throw new SlideError('unsupported-format', `${source.path} is not a TIFF file (bad magic number ${magic})`);
    }
    const parser = new DirectoryParser(source, le, bigTiff);
    const directories = await parser.readChain(first);
    if (directories.length === 0) throw new SlideError('corrupt', `${source.path} is a TIFF file with no images`);
    return new TiffFile(source, le, bigTiff, directories);
  }
}

class DirectoryParser {
  private readonly seen = new Set<number>();
  constructor(
    private readonly source: FileSource,
    private readonly le: boolean,
    private readonly bigTiff: boolean,
  ) {}

  async readChain(first: number): Promise<TiffDirectory[]> {
    const dirs: TiffDirectory[] = [];
    let offset = first;
    while (offset !== 0) {
      const { dir, next } = await this.readDirectory(offset);
      dirs.push(dir);
      offset = next;
    }
    return dirs;
  }

  private async readDirectory(offset: number): Promise<{ dir: TiffDirectory; next: number }> {
    const path = this.source.path;
    if (this.seen.has(offset)) throw new SlideError('corrupt', `${path} is corrupt: its TIFF directories form a loop`);
    if (this.seen.size >= MAX_DIRECTORIES) throw new SlideError('too-large', `${path} has more than ${MAX_DIRECTORIES} TIFF directories`);
    this.seen.add(offset);
    if (offset < 8 || offset >= this.source.size) {
      throw new SlideError('corrupt', `${path} is truncated or corrupt: a TIFF directory at byte ${offset} lies outside the file (${this.source.size} bytes)`);
    }
    const countSize = this.bigTiff ? 8 : 2;
    const entrySize = this.bigTiff ? 20 : 12;
    const countBuf = await this.source.read(offset, countSize);
    const count = this.bigTiff ? toSafe(this.u64(countBuf, 0), path) : this.u16(countBuf, 0);
    if (count === 0 || count > MAX_ENTRIES) throw new SlideError('corrupt', `${path} is corrupt: a TIFF directory claims ${count} entries`);
    const tableLength = countSize + count * entrySize + (this.bigTiff ? 8 : 4);
    const raw = await this.source.read(offset, tableLength);
    const entries = new Map<number, TiffEntry>();
    for (let i = 0; i < count; i++) {
      const at = countSize + i * entrySize;
      const entry = await this.readEntry(raw, at);
      if (entry && !entries.has(entry.tag)) entries.set(entry.tag, entry);
    }
    const nextAt = countSize + count * entrySize;
    const next = this.bigTiff ? toSafe(this.u64(raw, nextAt), path) : this.u32(raw, nextAt);
    const dir: TiffDirectory = { offset, raw, entries, subDirectories: [] };
    const sub = entries.get(Tag.SubIFDs);
    if (sub) {
      for (const subOffset of entryNumbers(sub, this.le, path)) {
        // Each SubIFD is one directory of a sub-pyramid; their own chains are not followed (libvips/OME write none).
        dir.subDirectories.push((await this.readDirectory(subOffset)).dir);
      }
    }
    return { dir, next };
  }

  private async readEntry(raw: Buffer, at: number): Promise<TiffEntry | null> {
    const path = this.source.path;
    const tag = this.u16(raw, at);
    const type = this.u16(raw, at + 2);
    const size = TYPE_SIZES[type] ?? 0;
    if (size === 0) return null;
    const count = this.bigTiff ? toSafe(this.u64(raw, at + 4), path) : this.u32(raw, at + 4);
    const length = count * size;
    if (length > MAX_TAG_BYTES) throw new SlideError('too-large', `${path}: TIFF tag ${tag} holds ${length} bytes, more than this reader accepts`);
    const inlineSize = this.bigTiff ? 8 : 4;
    const valueAt = at + (this.bigTiff ? 12 : 8);
    let bytes: Buffer;
    if (length <= inlineSize) {
      bytes = Buffer.from(raw.subarray(valueAt, valueAt + length));
    } else {
      const offset = this.bigTiff ? toSafe(this.u64(raw, valueAt), path) : this.u32(raw, valueAt);
      bytes = await this.source.read(offset, length);
    }
    return { tag, type, count, bytes };
  }

  private u16(b: Buffer, at: number): number {
    return this.le ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }
  private u32(b: Buffer, at: number): number {
    return this.le ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }
  private u64(b: Buffer, at: number): bigint {
    return this.le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
  }
}

function toSafe(v: bigint, path: string): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new SlideError('corrupt', `${path} is corrupt: a 64-bit offset or count is out of range`);
  return Number(v);
}

/** An entry's values as numbers (integer types, rationals as quotients, floats). */
export function entryNumbers(entry: TiffEntry, le: boolean, path = 'file'): number[] {
  const b = entry.bytes;
  const out: number[] = new Array(entry.count);
  for (let i = 0; i < entry.count; i++) {
    switch (entry.type) {
      case 1: case 7: out[i] = b[i]; break;
      case 6: out[i] = b.readInt8(i); break;
      case 3: out[i] = le ? b.readUInt16LE(i * 2) : b.readUInt16BE(i * 2); break;
      case 8: out[i] = le ? b.readInt16LE(i * 2) : b.readInt16BE(i * 2); break;
      case 4: case 13: out[i] = le ? b.readUInt32LE(i * 4) : b.readUInt32BE(i * 4); break;
      case 9: out[i] = le ? b.readInt32LE(i * 4) : b.readInt32BE(i * 4); break;
      case 5: {
        const n = le ? b.readUInt32LE(i * 8) : b.readUInt32BE(i * 8);
        const d = le ? b.readUInt32LE(i * 8 + 4) : b.readUInt32BE(i * 8 + 4);
        out[i] = d === 0 ? NaN : n / d;
        break;
      }
      case 10: {
        const n = le ? b.readInt32LE(i * 8) : b.readInt32BE(i * 8);
        const d = le ? b.readInt32LE(i * 8 + 4) : b.readInt32BE(i * 8 + 4);
        out[i] = d === 0 ? NaN : n / d;
        break;
      }
      case 11: out[i] = le ? b.readFloatLE(i * 4) : b.readFloatBE(i * 4); break;
      case 12: out[i] = le ? b.readDoubleLE(i * 8) : b.readDoubleBE(i * 8); break;
      case 16: case 18: out[i] = toSafe(le ? b.readBigUInt64LE(i * 8) : b.readBigUInt64BE(i * 8), path); break;
      case 17: out[i] = Number(le ? b.readBigInt64LE(i * 8) : b.readBigInt64BE(i * 8)); break;
      default: out[i] = NaN;
    }
  }
  return out;
}

/** Typed access to one directory's tags. */
export class TiffTags {
  constructor(
    readonly dir: TiffDirectory,
    readonly littleEndian: boolean,
    readonly path: string,
  ) {}

  has(tag: number): boolean {
    return this.dir.entries.has(tag);
  }

  numbers(tag: number): number[] | undefined {
    const e = this.dir.entries.get(tag);
    return e ? entryNumbers(e, this.littleEndian, this.path) : undefined;
  }

  number(tag: number): number | undefined {
    const e = this.dir.entries.get(tag);
    if (!e || e.count < 1) return undefined;
    return entryNumbers({ ...e, count: 1 }, this.littleEndian, this.path)[0];
  }

  /** ASCII value without its trailing NUL; decoded as UTF-8 (OME-XML and some vendors write UTF-8). */
  string(tag: number): string | undefined {
    const e = this.dir.entries.get(tag);
    if (!e) return undefined;
    let end = e.bytes.length;
    while (end > 0 && e.bytes[end - 1] === 0) end--;
    const nul = e.bytes.indexOf(0);
    if (nul >= 0 && nul < end) end = nul;
    return e.bytes.toString('utf8', 0, end);
  }

  bytes(tag: number): Buffer | undefined {
    return this.dir.entries.get(tag)?.bytes;
  }
}
