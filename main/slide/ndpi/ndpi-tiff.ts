// Hamamatsu NDPI's TIFF dialect: a classic (32-bit) TIFF that carries 64-bit offsets the way OpenSlide
// reads them. The header's first-directory offset is 8 bytes; each directory is the classic table, then an
// 8-byte next-directory offset, then one 4-byte "value extension" per entry holding the high 32 bits of
// that entry's offset (or of a LONG value, which then becomes a LONG8). ASCII values are always stored
// out of line. Files under 4 GB have zero extensions, which is how this also reads older writers' files.
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import type { TiffDirectory, TiffEntry } from '../tiff/tiff-file.js';
import { NdpiTag } from './ndpi-tags.js';

/** Tag present in every NDPI directory (OpenSlide's NDPI_FORMAT_FLAG): what detection looks for. */
export const NDPI_FORMAT_FLAG = NdpiTag.FormatFlag;

/** Same limits as the TIFF parser: real NDPI files have < 20 directories of ~60 entries. */
const MAX_DIRECTORIES = 1024;
const MAX_ENTRIES = 4096;
const MAX_TAG_BYTES = 64 * 1024 * 1024;
const TYPE_SIZES: Record<number, number> = {
  1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8,
};
const ASCII = 2;
const LONG = 4;
const SLONG = 9;
const LONG8 = 16;
const SLONG8 = 17;

/**
 * Cheap check: a little- or big-endian classic TIFF whose 8-byte first-directory offset points to a
 * directory holding the NDPI format flag. Never throws (foreign and truncated files answer false).
 */
export async function isNdpiFile(source: FileSource): Promise<boolean> {
  try {
    if (source.size < 16) return false;
    const head = await source.read(0, 16);
    const le = headerOrder(head);
    if (le === null) return false;
    const first = u64(head, 4, le);
    if (first === null || first < 8 || first + 2 > source.size) return false;
    // Only the first directory's table: its tags, not their (possibly large) values.
    const countBuf = await source.read(first, 2);
    const count = le ? countBuf.readUInt16LE(0) : countBuf.readUInt16BE(0);
    if (count === 0 || count > MAX_ENTRIES || first + 2 + count * 12 + 8 > source.size) return false;
    const table = await source.read(first + 2, count * 12);
    for (let i = 0; i < count; i++) {
      if ((le ? table.readUInt16LE(i * 12) : table.readUInt16BE(i * 12)) === NDPI_FORMAT_FLAG) return true;
    }
    return false;
  } catch {
    return false;
  }
}

export interface NdpiTiff {
  littleEndian: boolean;
  /** Directory chain in file order. */
  directories: TiffDirectory[];
}

/** Parses every directory of an NDPI file, with offsets and counts checked against the file. */
export async function readNdpiTiff(source: FileSource): Promise<NdpiTiff> {
  const path = source.path;
  if (source.size < 16) throw new SlideError('truncated', `${path} is too short to be an NDPI file (${source.size} bytes)`);
  const head = await source.read(0, 16);
  const le = headerOrder(head);
  if (le === null) throw new SlideError('unsupported-format', `${path} is not an NDPI file (no classic TIFF header)`);
  let offset = u64(head, 4, le);
  if (offset === null) throw new SlideError('corrupt', `${path} is corrupt: its first NDPI directory offset is out of range`);
  const parser = new NdpiDirectoryParser(source, le);
  const directories: TiffDirectory[] = [];
  const seen = new Set<number>();
  while (offset !== 0) {
    if (seen.has(offset)) throw new SlideError('corrupt', `${path} is corrupt: its NDPI directories form a loop`);
    if (seen.size >= MAX_DIRECTORIES) throw new SlideError('too-large', `${path} has more than ${MAX_DIRECTORIES} NDPI directories`);
    seen.add(offset);
    const { dir, next } = await parser.readDirectory(offset, directories.length);
    directories.push(dir);
    offset = next;
  }
  return { littleEndian: le, directories };
}

function headerOrder(head: Buffer): boolean | null {
  const order = head.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return null;
  const le = order === 'II';
  const magic = le ? head.readUInt16LE(2) : head.readUInt16BE(2);
  return magic === 42 ? le : null;
}

function u64(b: Buffer, at: number, le: boolean): number | null {
  const v = le ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? null : Number(v);
}

class NdpiDirectoryParser {
  constructor(
    private readonly source: FileSource,
    private readonly le: boolean,
  ) {}

  async readDirectory(offset: number, index: number): Promise<{ dir: TiffDirectory; next: number }> {
    const path = this.source.path;
    if (offset < 8 || offset + 2 > this.source.size) {
      throw new SlideError(
        'truncated',
        `${path} is truncated or corrupt: NDPI directory ${index} at byte ${offset} lies past the end of the file (${this.source.size} bytes)`,
      );
    }
    const countBuf = await this.source.read(offset, 2);
    const count = this.le ? countBuf.readUInt16LE(0) : countBuf.readUInt16BE(0);
    if (count === 0 || count > MAX_ENTRIES) throw new SlideError('corrupt', `${path} is corrupt: NDPI directory ${index} claims ${count} entries`);
    const tableLength = 2 + count * 12 + 8;
    if (offset + tableLength > this.source.size) {
      throw new SlideError('truncated', `${path} is truncated: NDPI directory ${index} at byte ${offset} runs past the end of the file`);
    }
    // The value extensions follow the table; a writer that leaves them out (older, < 4 GB files) gets zeros.
    const withExtensions = offset + tableLength + count * 4 <= this.source.size;
    const raw = await this.source.read(offset, tableLength + (withExtensions ? count * 4 : 0));
    const entries = new Map<number, TiffEntry>();
    for (let i = 0; i < count; i++) {
      const extension = withExtensions ? this.u32(raw, tableLength + i * 4) : 0;
      const entry = await this.readEntry(raw, 2 + i * 12, extension, index);
      if (entry && !entries.has(entry.tag)) entries.set(entry.tag, entry);
    }
    const next = u64(raw, 2 + count * 12, this.le);
    if (next === null) throw new SlideError('corrupt', `${path} is corrupt: NDPI directory ${index} has an out-of-range next-directory offset`);
    return { dir: { offset, raw: raw.subarray(0, tableLength), entries, subDirectories: [] }, next };
  }

  private async readEntry(raw: Buffer, at: number, extension: number, index: number): Promise<TiffEntry | null> {
    const path = this.source.path;
    const tag = this.u16(raw, at);
    let type = this.u16(raw, at + 2);
    const size = TYPE_SIZES[type] ?? 0;
    if (size === 0) return null;
    const count = this.u32(raw, at + 4);
    const length = count * size;
    if (length > MAX_TAG_BYTES) throw new SlideError('too-large', `${path}: NDPI tag ${tag} holds ${length} bytes, more than this reader accepts`);
    const inline = length <= 4 && type !== ASCII;
    if (inline) {
      if (extension === 0) return { tag, type, count, bytes: Buffer.from(raw.subarray(at + 8, at + 8 + length)) };
      // A LONG whose high 32 bits sit in the extension: a 64-bit value.
      if (count !== 1 || (type !== LONG && type !== SLONG)) {
        throw new SlideError('corrupt', `${path} is corrupt: NDPI directory ${index} has a 64-bit extension on tag ${tag} of type ${type}`);
      }
      const bytes = Buffer.alloc(8);
      const low = this.u32(raw, at + 8);
      const value = (BigInt(extension) << 32n) | BigInt(low);
      type = type === LONG ? LONG8 : SLONG8;
      if (this.le) bytes.writeBigUInt64LE(value);
      else bytes.writeBigUInt64BE(value);
      return { tag, type, count, bytes };
    }
    const valueOffset = extension * 2 ** 32 + this.u32(raw, at + 8);
    if (valueOffset + length > this.source.size) {
      throw new SlideError(
        'truncated',
        `${path} is truncated or corrupt: NDPI tag ${tag} of directory ${index} has its ${length} bytes at ${valueOffset}, past the end of the file (${this.source.size} bytes)`,
      );
    }
    return { tag, type, count, bytes: await this.source.read(valueOffset, length) };
  }

  private u16(b: Buffer, at: number): number {
    return this.le ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }
  private u32(b: Buffer, at: number): number {
    return this.le ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }
}
