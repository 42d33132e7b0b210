// Builds torch.save-shaped checkpoints in tests, without Python: a small pickle writer (the opcodes torch
// emits, plus raw bytes for hostile programs), a state-dict writer that lays tensors out exactly as
// torch.save does (_rebuild_tensor_v2 over BINPERSID storage references, OrderedDict with _metadata), and
// the ZIP around it (`<prefix>/data.pkl`, `data/<key>`, `version`, optional `byteorder`).
import { buildZip, type ZipFileInput, type ZipOptions } from './stored-zip.js';

export class PickleWriter {
  private readonly out: number[] = [];
  private memo = 0;

  raw(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }
  /** One-character opcodes: '(' MARK, 't' TUPLE, 'R' REDUCE, '.' STOP … */
  op(chars: string): this {
    for (const c of chars) this.out.push(c.charCodeAt(0));
    return this;
  }
  proto(version = 2): this {
    return this.raw(0x80, version);
  }
  /** BINUNICODE. */
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    this.op('X').le32(b.length);
    return this.raw(...b);
  }
  /** BININT1 / BININT2 / BININT / LONG1, as Python picks. */
  int(n: number | bigint): this {
    const v = BigInt(n);
    if (v >= 0n && v < 256n) return this.op('K').raw(Number(v));
    if (v >= 0n && v < 65536n) return this.op('M').raw(Number(v) & 0xff, Number(v) >> 8);
    if (v >= -(2n ** 31n) && v < 2n ** 31n) return this.op('J').le32(Number(v));
    // LONG1: shortest little-endian two's complement.
    const bytes: number[] = [];
    let x = v;
    for (;;) {
      const byte = Number(x & 0xffn);
      bytes.push(byte);
      x >>= 8n;
      if ((x === 0n && !(byte & 0x80)) || (x === -1n && byte & 0x80)) break;
    }
    return this.raw(0x8a, bytes.length, ...bytes);
  }
  /** GLOBAL "module\nname\n". */
  global(module: string, name: string): this {
    return this.op(`c${module}\n${name}\n`);
  }
  /** BINPUT / LONG_BINPUT of the next memo slot; returns the slot through `slot`. */
  put(slot?: (index: number) => void): this {
    const i = this.memo++;
    slot?.(i);
    return i < 256 ? this.raw(0x71, i) : this.raw(0x72).le32(i);
  }
  /** MEMOIZE (protocol 4): the top goes to the next memo slot. */
  memoize(): this {
    this.memo++;
    return this.raw(0x94);
  }
  /** BINGET / LONG_BINGET. */
  get(i: number): this {
    return i < 256 ? this.raw(0x68, i) : this.raw(0x6a).le32(i);
  }
  /** A tuple of small ints, with TUPLE1/2/3 where Python uses them. */
  intTuple(items: readonly number[]): this {
    if (items.length === 0) return this.op(')');
    if (items.length > 3) this.op('(');
    for (const x of items) this.int(x);
    return items.length > 3 ? this.op('t') : this.raw(0x84 + items.length);
  }
  le32(n: number): this {
    return this.raw(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

export interface FixtureStorage {
  key: string;
  /** torch class name: 'FloatStorage', 'HalfStorage', 'LongStorage' … */
  type: string;
  numel: number;
  data: Uint8Array;
}

export interface FixtureTensor {
  name: string;
  /** Storage key. */
  storage: string;
  shape: number[];
  /** Default: row-major. */
  stride?: number[];
  offset?: number;
}

export const rowMajor = (shape: readonly number[]): number[] => {
  const s: number[] = [];
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
};

/** `torch._utils._rebuild_tensor_v2((storage pid), offset, size, stride, False, OrderedDict())`. */
export function writeTensor(w: PickleWriter, t: FixtureTensor, storages: readonly FixtureStorage[]): void {
  const s = storages.find((x) => x.key === t.storage);
  if (!s) throw new Error(`fixture: no storage ${t.storage}`);
  w.global('torch._utils', '_rebuild_tensor_v2').put();
  w.op('((').str('storage').global('torch', s.type).str(s.key).str('cpu').int(s.numel).op('t').put().op('Q');
  w.int(t.offset ?? 0)
    .intTuple(t.shape)
    .put()
    .intTuple(t.stride ?? rowMajor(t.shape))
    .put();
  w.raw(0x89).global('collections', 'OrderedDict').op(')R').put().op('t').put().op('R').put();
}

/** An OrderedDict of name → tensor with torch's `_metadata` attribute, as torch.save(model.state_dict()). */
export function writeStateDict(
  w: PickleWriter,
  tensors: readonly FixtureTensor[],
  storages: readonly FixtureStorage[],
): void {
  w.global('collections', 'OrderedDict').put().op(')R').put();
  w.op('(');
  for (const t of tensors) {
    w.str(t.name).put();
    writeTensor(w, t, storages);
  }
  w.op('u');
  w.op('}').put().str('_metadata').put();
  w.global('collections', 'OrderedDict').op(')R').put();
  w.op('(').str('').put().op('}').put().str('version').put().int(1).op('s').op('u');
  w.op('s').op('b');
}

export interface CheckpointFixture {
  storages: FixtureStorage[];
  /** data.pkl; default: a state dict of `tensors`. */
  pickle?: Uint8Array;
  tensors?: FixtureTensor[];
  prefix?: string;
  byteorder?: string;
  zip?: ZipOptions;
  /** Deflate the storage records (torch never does). */
  deflateStorages?: boolean;
  /** Extra records, e.g. TorchScript's constants.pkl. */
  extra?: ZipFileInput[];
}

export function stateDictPickle(tensors: readonly FixtureTensor[], storages: readonly FixtureStorage[]): Uint8Array {
  const w = new PickleWriter().proto(2);
  writeStateDict(w, tensors, storages);
  return w.op('.').bytes();
}

/** The archive torch.save would write for this fixture. */
export function torchCheckpointZip(f: CheckpointFixture): Uint8Array {
  const prefix = f.prefix ?? 'archive';
  const pickle = f.pickle ?? stateDictPickle(f.tensors ?? [], f.storages);
  const files: ZipFileInput[] = [{ name: `${prefix}/data.pkl`, data: pickle }];
  if (f.byteorder !== undefined)
    files.push({ name: `${prefix}/byteorder`, data: new TextEncoder().encode(f.byteorder) });
  for (const s of f.storages) files.push({ name: `${prefix}/data/${s.key}`, data: s.data, deflate: f.deflateStorages });
  files.push({ name: `${prefix}/version`, data: new TextEncoder().encode('3\n') }, ...(f.extra ?? []));
  return buildZip(files, { align: 64, ...f.zip });
}

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
export const f32 = (values: readonly number[]): Uint8Array => bytesOf(Float32Array.from(values));
export const f64 = (values: readonly number[]): Uint8Array => bytesOf(Float64Array.from(values));
export const u16 = (values: readonly number[]): Uint8Array => bytesOf(Uint16Array.from(values));
export const i64 = (values: readonly number[]): Uint8Array => bytesOf(BigInt64Array.from(values.map(BigInt)));
