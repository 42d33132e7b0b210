// Writes an ONNX model whose weights are streamed from their source one tensor at a time, so converting a
// multi-gigabyte checkpoint never holds more than one tensor (plus the small graph) in memory.
//
// protobufjs encodes the graph without the big weights; the weights' TensorProtos are then appended by hand.
// Protobuf allows a message's fields in any order and repeated fields to be split, so
// `ModelProto = <fields but graph> ++ graph(tag 7) { <GraphProto fields> ++ initializer(tag 5)… }` is a valid
// encoding as long as every length prefix is known first — and it is, from the weights' dims.
// Weights go inline up to `inlineLimit` (protobuf's 2 GB cap on one message), otherwise into a single
// external data file beside the model (ONNX external data: location/offset/length, page-aligned offsets).
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { GraphProto, ModelProto, OnnxDataType, TensorProto } from './onnx-schema.js';
import type { LazyWeight, ModelObject } from './graph-builder.js';

export interface StreamWriteOptions {
  /** Bytes of weights above which they go to an external data file (default: just under 2 GB). */
  inlineLimit?: number;
  /** Called after each weight is written: bytes of weights done and in all. */
  onProgress?: (done: number, total: number) => void;
  /** Called with each weight's values before they are written (e.g. to refuse NaNs). */
  inspect?: (weight: LazyWeight, values: Float32Array) => void;
}

export interface StreamWriteResult {
  /** The external data file's path, when one was written. */
  dataPath: string | null;
  weightBytes: number;
  storage: 'inline' | 'external';
}

const ALIGN = 4096;
const DEFAULT_INLINE_LIMIT = 2_000_000_000 - 64 * 1024 * 1024;

const bytesPer = (w: LazyWeight) => (w.storage === 'float16' ? 2 : 4);
const count = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

/** Tag + length prefix of a length-delimited field. */
const lengthDelimited = (field: number, length: number) => Uint8Array.from([(field << 3) | 2, ...varint(length)]);

export async function writeOnnxStreaming(path: string, model: ModelObject, weights: LazyWeight[], options: StreamWriteOptions = {}): Promise<StreamWriteResult> {
  const weightBytes = weights.reduce((n, w) => n + count(w.dims) * bytesPer(w), 0);
  const external = weightBytes > (options.inlineLimit ?? DEFAULT_INLINE_LIMIT);
  const dataPath = external ? `${path}.data` : null;
  const dataName = basename(`${path}.data`);

  // Each weight's TensorProto without its values, and where its values go.
  let offset = 0;
  const plan = weights.map((w) => {
    const length = count(w.dims) * bytesPer(w);
    const fields: Record<string, unknown> = { name: w.name, dims: w.dims, dataType: w.storage === 'float16' ? OnnxDataType.FLOAT16 : OnnxDataType.FLOAT };
    if (external) {
      offset = Math.ceil(offset / ALIGN) * ALIGN;
      fields.externalData = [
        { key: 'location', value: dataName },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ];
      fields.dataLocation = 1; // EXTERNAL
    }
    const head = TensorProto.encode(TensorProto.fromObject(fields)).finish();
    const at = offset;
    offset += length;
    const rawPrefix = external ? new Uint8Array(0) : lengthDelimited(9, length);
    const tensorLength = head.length + rawPrefix.length + (external ? 0 : length);
    return { w, head, rawPrefix, length, at, entryPrefix: lengthDelimited(5, tensorLength), tensorLength };
  });

  const { graph, ...rest } = model;
  const modelHead = ModelProto.encode(ModelProto.fromObject(rest)).finish();
  const graphHead = GraphProto.encode(GraphProto.fromObject(graph)).finish();
  const graphLength = graphHead.length + plan.reduce((n, p) => n + p.entryPrefix.length + p.tensorLength, 0);

  const file = await open(path, 'w');
  let data: FileHandle | null = null;
  try {
    if (dataPath) data = await open(dataPath, 'w');
    const write = async (h: FileHandle, bytes: Uint8Array, position?: number) => {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await h.write(bytes, done, bytes.length - done, position === undefined ? null : position + done);
        done += bytesWritten;
      }
    };
    await write(file, modelHead);
    await write(file, lengthDelimited(7, graphLength));
    await write(file, graphHead);
    let done = 0;
    for (const p of plan) {
      await write(file, p.entryPrefix);
      await write(file, p.head);
      const values = await p.w.read();
      if (values.length !== count(p.w.dims)) {
        throw new Error(`internal error: weight ${p.w.name} read ${values.length} values for dims [${p.w.dims.join(', ')}]`);
      }
      options.inspect?.(p.w, values);
      const bytes = encodeValues(values, p.w.storage);
      if (data) await write(data, bytes, p.at);
      else {
        await write(file, p.rawPrefix);
        await write(file, bytes);
      }
      done += p.length;
      options.onProgress?.(done, weightBytes);
    }
    await file.sync();
    await data?.sync();
  } finally {
    await file.close();
    await data?.close();
  }
  return { dataPath, weightBytes, storage: external ? 'external' : 'inline' };
}

/** Little-endian bytes of the values in the stored type (ONNX raw data is little-endian). */
function encodeValues(values: Float32Array, storage: LazyWeight['storage']): Uint8Array {
  if (storage === 'float32') {
    const out = new Uint8Array(values.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
    return out;
  }
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(i * 2, floatToHalf(values[i]), true);
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** number → IEEE 754 binary16 bits, rounded to nearest even; overflow → ±Infinity. */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // a carry into the exponent is still correct
  return sign | half;
}
