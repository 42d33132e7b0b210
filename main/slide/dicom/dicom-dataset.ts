// A minimal DICOM part-10 reader for whole-slide images: the header up to the top-level Pixel Data
// element, read from the file's first bytes, never the pixel data itself. Written here rather than
// using dicom-parser because (measured) dicom-parser 1.8 does not know the 64-bit VRs OV/SV/UV and so
// misreads explicit-VR files that carry an Extended Offset Table (OV), which WSI converters write; and
// it parses only whole in-memory buffers. Little-endian explicit and implicit VR; nested sequences.
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';

export const TransferSyntax = {
  ImplicitLittle: '1.2.840.10008.1.2',
  ExplicitLittle: '1.2.840.10008.1.2.1',
  Deflated: '1.2.840.10008.1.2.1.99',
  ExplicitBig: '1.2.840.10008.1.2.2',
  JpegBaseline: '1.2.840.10008.1.2.4.50',
  JpegExtended: '1.2.840.10008.1.2.4.51',
  Jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  Jpeg2000: '1.2.840.10008.1.2.4.91',
} as const;

export const PIXEL_DATA = 0x7fe00010;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;
const UNDEFINED = 0xffffffff;
/** VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 7.1.2), the 64-bit ones included. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
/** Sequences the slide reader looks into, for implicit VR files (which do not say which elements are sequences). */
const KNOWN_SEQUENCES = new Set([
  0x00209221, 0x00209222, 0x00289110, 0x0040a170, 0x00480008, 0x0048021a, 0x00480105, 0x00480207, 0x52009229, 0x52009230,
  0x00209111,
]);
/** Values longer than this are not kept (icon images, large private blobs): the reader never needs them. */
const MAX_KEPT_VALUE = 1 << 16;
/** …except these, which can be long and are needed: the Extended Offset Table and its lengths. */
const ALWAYS_KEPT = new Set([0x7fe00001, 0x7fe00002]);
const MAX_DEPTH = 16;
/** A header (everything before the pixel data) larger than this is refused. */
const MAX_HEADER_BYTES = 256 * 1024 * 1024;

export interface DicomElement {
  tag: number;
  vr: string;
  /** The value, when it is not a sequence and not longer than MAX_KEPT_VALUE. */
  value?: Buffer;
  items?: DicomDataset[];
}

export class DicomDataset {
  constructor(readonly elements: Map<number, DicomElement>) {}

  has(tag: number): boolean {
    return this.elements.has(tag);
  }

  /** Text value with the padding (trailing spaces/NULs, leading spaces) removed; multi-values joined by `\`. */
  string(tag: number): string | undefined {
    const e = this.elements.get(tag);
    if (!e?.value || !isTextVr(e.vr)) return undefined;
    return e.value.toString('latin1').replace(/[\0 ]+$/, '').replace(/^ +/, '');
  }

  strings(tag: number): string[] {
    const s = this.string(tag);
    return s === undefined || s === '' ? [] : s.split('\\').map((v) => v.trim());
  }

  /** A number from binary (US, UL, SS, SL, FL, FD) or text (IS, DS) VRs. */
  number(tag: number, index = 0): number | undefined {
    const e = this.elements.get(tag);
    if (!e?.value) return undefined;
    const v = e.value;
    const at = (size: number): number | undefined => ((index + 1) * size <= v.length ? index * size : undefined);
    let o: number | undefined;
    switch (e.vr) {
      case 'US':
        return (o = at(2)) === undefined ? undefined : v.readUInt16LE(o);
      case 'SS':
        return (o = at(2)) === undefined ? undefined : v.readInt16LE(o);
      case 'UL':
        return (o = at(4)) === undefined ? undefined : v.readUInt32LE(o);
      case 'SL':
        return (o = at(4)) === undefined ? undefined : v.readInt32LE(o);
      case 'FL':
        return (o = at(4)) === undefined ? undefined : v.readFloatLE(o);
      case 'FD':
        return (o = at(8)) === undefined ? undefined : v.readDoubleLE(o);
      case 'IS':
      case 'DS': {
        const s = this.strings(tag)[index];
        if (s === undefined || s === '') return undefined;
        const n = Number(s);
        return Number.isFinite(n) ? n : undefined;
      }
      default:
        // Implicit VR: binary values of unknown type; callers only ask for US/UL-sized ones.
        if (e.vr === 'UN' && v.length === 2) return v.readUInt16LE(0);
        if (e.vr === 'UN' && v.length === 4) return v.readUInt32LE(0);
        return undefined;
    }
  }

  /** 64-bit unsigned values (OV, UV) as numbers (exact up to 2^53). */
  bigValues(tag: number): number[] | undefined {
    const v = this.elements.get(tag)?.value;
    if (!v || v.length % 8 !== 0) return undefined;
    const out: number[] = [];
    for (let i = 0; i < v.length; i += 8) out.push(Number(v.readBigUInt64LE(i)));
    return out;
  }

  items(tag: number): DicomDataset[] {
    return this.elements.get(tag)?.items ?? [];
  }

  /** The first item of a sequence. */
  item(tag: number): DicomDataset | undefined {
    return this.items(tag)[0];
  }
}

function isTextVr(vr: string): boolean {
  return ['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT', 'UN'].includes(vr);
}

export interface DicomHeader {
  meta: DicomDataset;
  dataset: DicomDataset;
  transferSyntax: string;
  explicit: boolean;
  /** File offset of the Pixel Data value (first item header when encapsulated). */
  pixelDataOffset: number;
  /** Pixel Data length in bytes, or null when undefined (encapsulated). */
  pixelDataLength: number | null;
}

/** True when the file has a part-10 preamble: 128 bytes, then "DICM". */
export async function isDicomFile(source: FileSource): Promise<boolean> {
  if (source.size < 132 + 12) return false;
  const magic = await source.read(128, 4);
  return magic.toString('latin1') === 'DICM';
}

class NeedMoreBytes extends Error {}

/**
 * Reads the header, growing the prefix read from the file until it holds the top-level Pixel Data
 * element (headers are usually a few KiB; per-frame functional groups can make them megabytes).
 */
export async function readDicomHeader(source: FileSource): Promise<DicomHeader> {
  let size = Math.min(source.size, 64 * 1024);
  for (;;) {
    const bytes = await source.read(0, size);
    try {
      return parseHeader(bytes, source.path);
    } catch (err) {
      if (!(err instanceof NeedMoreBytes)) throw err;
      if (size >= source.size) {
        throw new SlideError('truncated', `${source.path} is truncated or corrupt: its DICOM header ends before any pixel data (${err.message})`);
      }
      if (size >= MAX_HEADER_BYTES) throw new SlideError('too-large', `${source.path} has a DICOM header larger than ${MAX_HEADER_BYTES} bytes`);
      size = Math.min(source.size, size * 4);
    }
  }
}

function parseHeader(buf: Buffer, path: string): DicomHeader {
  if (buf.length < 132 || buf.toString('latin1', 128, 132) !== 'DICM') {
    throw new SlideError('unsupported-format', `${path} is not a DICOM part-10 file`);
  }
  // File meta information: group 0002, always explicit VR little endian.
  const metaReader = new Reader(buf, true, path);
  const meta = new Map<number, DicomElement>();
  let p = 132;
  while (p + 4 <= buf.length && buf.readUInt16LE(p) === 0x0002) {
    const r = metaReader.element(p, 0);
    if (r.element) meta.set(r.element.tag, r.element);
    p = r.next;
  }
  if (p + 4 > buf.length) throw new NeedMoreBytes('file meta information');
  const metaSet = new DicomDataset(meta);
  const transferSyntax = metaSet.string(0x00020010);
  if (!transferSyntax) throw new SlideError('corrupt', `${path} is a DICOM file without a transfer syntax`);
  if (transferSyntax === TransferSyntax.Deflated || transferSyntax === TransferSyntax.ExplicitBig) {
    throw new SlideError('unsupported-feature', `${path} uses DICOM transfer syntax ${transferSyntax} (deflated or big endian), which Tessera cannot read`);
  }
  const explicit = transferSyntax !== TransferSyntax.ImplicitLittle;
  const reader = new Reader(buf, explicit, path);
  const elements = new Map<number, DicomElement>();
  for (;;) {
    if (p + 8 > buf.length) throw new NeedMoreBytes(`element at byte ${p}`);
    const r = reader.element(p, 0, true);
    if (r.pixelData) {
      return {
        meta: metaSet,
        dataset: new DicomDataset(elements),
        transferSyntax,
        explicit,
        pixelDataOffset: r.pixelData.offset,
        pixelDataLength: r.pixelData.length,
      };
    }
    if (r.element) elements.set(r.element.tag, r.element);
    p = r.next;
  }
}

interface ElementResult {
  element?: DicomElement;
  next: number;
  pixelData?: { offset: number; length: number | null };
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    private readonly explicit: boolean,
    private readonly path: string,
  ) {}

  private need(p: number, n: number): void {
    if (p + n > this.buf.length) throw new NeedMoreBytes(`byte ${p + n}`);
  }

  private tag(p: number): number {
    this.need(p, 4);
    return ((this.buf.readUInt16LE(p) << 16) | this.buf.readUInt16LE(p + 2)) >>> 0;
  }

  element(p: number, depth: number, topLevel = false): ElementResult {
    const buf = this.buf;
    const tag = this.tag(p);
    let vr: string;
    let length: number;
    let valueAt: number;
    if (this.explicit && tag >>> 16 !== 0xfffe) {
      this.need(p, 8);
      vr = buf.toString('latin1', p + 4, p + 6);
      if (!/^[A-Z]{2}$/.test(vr)) throw this.corrupt(`element (${hex(tag)}) at byte ${p} has no valid VR`);
      if (LONG_VRS.has(vr)) {
        this.need(p, 12);
        length = buf.readUInt32LE(p + 8);
        valueAt = p + 12;
      } else {
        length = buf.readUInt16LE(p + 6);
        valueAt = p + 8;
      }
    } else {
      this.need(p, 8);
      length = buf.readUInt32LE(p + 4);
      valueAt = p + 8;
      vr = KNOWN_SEQUENCES.has(tag) || (length === UNDEFINED && tag !== PIXEL_DATA) ? 'SQ' : 'UN';
    }
    if (topLevel && tag === PIXEL_DATA) {
      return { next: valueAt, pixelData: { offset: valueAt, length: length === UNDEFINED ? null : length } };
    }
    if (vr === 'SQ' || (vr === 'UN' && length === UNDEFINED && tag !== PIXEL_DATA)) {
      if (depth >= MAX_DEPTH) throw this.corrupt(`sequences nested deeper than ${MAX_DEPTH} levels`);
      // Explicit VR UN of undefined length is a sequence encoded in implicit VR (PS3.5 6.2.2).
      const { items, next } = this.sequence(valueAt, length, depth + 1, vr === 'SQ' ? this.explicit : false);
      return { element: { tag, vr: 'SQ', items }, next };
    }
    if (length === UNDEFINED) {
      // Encapsulated pixel data nested in a sequence (an icon image): skip its items.
      let q = valueAt;
      for (;;) {
        const itemTag = this.tag(q);
        this.need(q, 8);
        const len = buf.readUInt32LE(q + 4);
        q += 8;
        if (itemTag === SEQUENCE_END) return { next: q };
        if (itemTag !== ITEM || len === UNDEFINED) throw this.corrupt(`bad fragment item at byte ${q - 8}`);
        q += len;
      }
    }
    const next = valueAt + length;
    if (length > MAX_KEPT_VALUE && !ALWAYS_KEPT.has(tag)) {
      if (next > this.buf.length) throw new NeedMoreBytes(`value of (${hex(tag)})`);
      return { element: { tag, vr }, next };
    }
    this.need(valueAt, length);
    return { element: { tag, vr, value: Buffer.from(buf.subarray(valueAt, next)) }, next };
  }

  /** Items of a sequence starting at `p`; `length` UNDEFINED means "until the sequence delimiter". */
  private sequence(p: number, length: number, depth: number, explicit: boolean): { items: DicomDataset[]; next: number } {
    const inner = explicit === this.explicit ? this : new Reader(this.buf, explicit, this.path);
    const end = length === UNDEFINED ? Infinity : p + length;
    const items: DicomDataset[] = [];
    while (p < end) {
      const tag = this.tag(p);
      this.need(p, 8);
      const itemLength = this.buf.readUInt32LE(p + 4);
      p += 8;
      if (tag === SEQUENCE_END) break;
      if (tag !== ITEM) throw this.corrupt(`expected a sequence item at byte ${p - 8}, found (${hex(tag)})`);
      const itemEnd = itemLength === UNDEFINED ? Infinity : p + itemLength;
      const elements = new Map<number, DicomElement>();
      while (p < itemEnd) {
        if (itemLength === UNDEFINED && this.tag(p) === ITEM_END) {
          p += 8;
          break;
        }
        const r = inner.element(p, depth);
        if (r.element) elements.set(r.element.tag, r.element);
        p = r.next;
      }
      if (itemEnd !== Infinity && p !== itemEnd) throw this.corrupt(`a sequence item overruns its length at byte ${p}`);
      items.push(new DicomDataset(elements));
    }
    if (end !== Infinity && p !== end) throw this.corrupt(`a sequence overruns its length at byte ${p}`);
    return { items, next: p };
  }

  private corrupt(what: string): SlideError {
    return new SlideError('corrupt', `${this.path} is not a valid DICOM file: ${what}`);
  }
}

export function hex(tag: number): string {
  const h = tag.toString(16).padStart(8, '0').toUpperCase();
  return `${h.slice(0, 4)},${h.slice(4)}`;
}

export interface Fragment {
  /** File offset of the fragment's bytes (after its 8-byte item header). */
  offset: number;
  length: number;
}

/** Reads the item header (tag, length) at `offset`. */
export async function readItemHeader(source: FileSource, offset: number): Promise<{ tag: number; length: number }> {
  const b = await source.read(offset, 8);
  return { tag: ((b.readUInt16LE(0) << 16) | b.readUInt16LE(2)) >>> 0, length: b.readUInt32LE(4) };
}

export const ItemTags = { ITEM, SEQUENCE_END };

/** The Basic Offset Table item at the start of encapsulated pixel data: its offsets, and where the first fragment starts. */
export async function readBasicOffsetTable(source: FileSource, pixelDataOffset: number): Promise<{ offsets: number[]; firstFragment: number }> {
  const bot = await readItemHeader(source, pixelDataOffset);
  if (bot.tag !== ITEM || bot.length === UNDEFINED || bot.length % 4 !== 0) {
    throw new SlideError('corrupt', `${source.path} has encapsulated pixel data without a valid Basic Offset Table item`);
  }
  const offsets: number[] = [];
  if (bot.length > 0) {
    const table = await source.read(pixelDataOffset + 8, bot.length);
    for (let i = 0; i < bot.length; i += 4) offsets.push(table.readUInt32LE(i));
  }
  return { offsets, firstFragment: pixelDataOffset + 8 + bot.length };
}

/**
 * Every fragment after the offset table, by walking the item headers (one 10-byte read per fragment:
 * the header and the fragment's first two bytes, which say whether a JPEG/J2K frame starts there).
 */
export async function scanFragments(source: FileSource, firstFragment: number): Promise<(Fragment & { startsImage: boolean })[]> {
  const out: (Fragment & { startsImage: boolean })[] = [];
  let p = firstFragment;
  for (;;) {
    if (p + 8 > source.size) {
      throw new SlideError('truncated', `${source.path} is truncated: its pixel data ends without a sequence delimiter (at byte ${p} of ${source.size})`);
    }
    const b = await source.read(p, Math.min(10, source.size - p));
    const tag = ((b.readUInt16LE(0) << 16) | b.readUInt16LE(2)) >>> 0;
    const length = b.readUInt32LE(4);
    if (tag === SEQUENCE_END) return out;
    if (tag !== ITEM || length === UNDEFINED) throw new SlideError('corrupt', `${source.path} has a bad pixel data fragment at byte ${p}`);
    if (p + 8 + length > source.size) {
      throw new SlideError('truncated', `${source.path} is truncated: a pixel data fragment at byte ${p} runs past its end (${source.size} bytes)`);
    }
    const startsImage = b.length >= 10 && b[8] === 0xff && (b[9] === 0xd8 || b[9] === 0x4f);
    out.push({ offset: p + 8, length, startsImage });
    p += 8 + length;
  }
}
