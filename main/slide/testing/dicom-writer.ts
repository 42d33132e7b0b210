// Test helper: writes small DICOM part-10 files (explicit VR little endian data sets) so the DICOM
// reader can be tested on what the real sample lacks: offset tables, sparse tiling, label and overview
// images, uncompressed frames, foreign SOP classes and damaged files.

export type DicomValue = string | number[] | bigint[] | Buffer | DicomItem[];
export type DicomItem = [tag: number, vr: string, value: DicomValue][];

export interface DicomSpec {
  transferSyntax: string;
  elements: DicomItem;
  /** Encapsulated frames (one fragment each), with optional offset tables; or native bytes. */
  pixels?: { frames: Buffer[]; offsetTable?: 'basic' | 'extended' | 'none' } | { native: Buffer };
}

const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

function valueBytes(vr: string, value: DicomValue): Buffer {
  if (Buffer.isBuffer(value)) return value.length % 2 ? Buffer.concat([value, Buffer.alloc(1)]) : value;
  if (typeof value === 'string') {
    const s = value.length % 2 ? value + (vr === 'UI' ? '\0' : ' ') : value;
    return Buffer.from(s, 'latin1');
  }
  if (value.length > 0 && typeof value[0] === 'bigint') {
    const b = Buffer.alloc(value.length * 8);
    (value as bigint[]).forEach((v, i) => b.writeBigUInt64LE(v, i * 8));
    return b;
  }
  const nums = value as number[];
  const size = vr === 'US' || vr === 'SS' ? 2 : vr === 'FD' ? 8 : 4;
  const b = Buffer.alloc(nums.length * size);
  nums.forEach((v, i) => {
    if (vr === 'US') b.writeUInt16LE(v, i * 2);
    else if (vr === 'UL') b.writeUInt32LE(v, i * 4);
    else if (vr === 'SL') b.writeInt32LE(v, i * 4);
    else if (vr === 'FL') b.writeFloatLE(v, i * 4);
    else if (vr === 'FD') b.writeDoubleLE(v, i * 8);
    else throw new Error(`dicom-writer: no numeric encoding for ${vr}`);
  });
  return b;
}

function header(tag: number, vr: string, length: number): Buffer {
  const long = LONG.has(vr);
  const b = Buffer.alloc(long ? 12 : 8);
  b.writeUInt16LE(tag >>> 16, 0);
  b.writeUInt16LE(tag & 0xffff, 2);
  b.write(vr, 4, 'latin1');
  if (long) b.writeUInt32LE(length, 8);
  else b.writeUInt16LE(length, 6);
  return b;
}

function item(tag: number, length: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(tag >>> 16, 0);
  b.writeUInt16LE(tag & 0xffff, 2);
  b.writeUInt32LE(length, 4);
  return b;
}

export function encodeElements(elements: DicomItem): Buffer {
  const parts: Buffer[] = [];
  for (const [tag, vr, value] of [...elements].sort((a, b) => a[0] - b[0])) {
    if (vr === 'SQ') {
      // Sequences of undefined length with undefined-length items, as converters usually write them.
      parts.push(header(tag, 'SQ', 0xffffffff));
      for (const it of value as DicomItem[]) parts.push(item(0xfffee000, 0xffffffff), encodeElements(it), item(0xfffee00d, 0));
      parts.push(item(0xfffee0dd, 0));
      continue;
    }
    const bytes = valueBytes(vr, value);
    parts.push(header(tag, vr, bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

export function writeDicom(spec: DicomSpec): Buffer {
  const sopClass = spec.elements.find((e) => e[0] === 0x00080016)?.[2] ?? '1.2.3';
  const metaBody = encodeElements([
    [0x00020001, 'OB', Buffer.from([0, 1])],
    [0x00020002, 'UI', sopClass as string],
    [0x00020003, 'UI', '1.2.3.4'],
    [0x00020010, 'UI', spec.transferSyntax],
  ]);
  const meta = Buffer.concat([encodeElements([[0x00020000, 'UL', [metaBody.length]]]), metaBody]);
  const elements = [...spec.elements];
  let pixels = Buffer.alloc(0);
  const p = spec.pixels;
  if (p && 'native' in p) {
    pixels = Buffer.concat([header(0x7fe00010, 'OB', p.native.length + (p.native.length % 2)), valueBytes('OB', p.native)]);
  } else if (p) {
    const frames = p.frames.map((f) => valueBytes('OB', f));
    const offsets: number[] = [];
    let at = 0;
    for (const f of frames) {
      offsets.push(at);
      at += 8 + f.length;
    }
    if (p.offsetTable === 'extended') {
      elements.push([0x7fe00001, 'OV', offsets.map(BigInt)], [0x7fe00002, 'OV', frames.map((f) => BigInt(f.length))]);
    }
    const bot = p.offsetTable === 'basic' ? valueBytes('UL', offsets) : Buffer.alloc(0);
    pixels = Buffer.concat([
      header(0x7fe00010, 'OB', 0xffffffff),
      item(0xfffee000, bot.length),
      bot,
      ...frames.flatMap((f) => [item(0xfffee000, f.length), f]),
      item(0xfffee0dd, 0),
    ]);
  }
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), meta, encodeElements(elements), pixels]);
}
