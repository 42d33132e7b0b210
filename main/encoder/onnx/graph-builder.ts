// A small builder for ONNX graphs (nodes, constants, attributes) that serialises to ModelProto bytes.
// Names are generated deterministically, so the same building code always gives the same bytes.
import { ModelProto, OnnxAttributeType, OnnxDataType } from './onnx-schema.js';

export type AttributeValue = number | number[] | { floats: number[] } | { int: number };

export interface TensorValue {
  dims: number[];
  data: Float32Array | number[];
  type?: 'float32' | 'int64';
}

/** A graph input or output: name, shape (strings are symbolic dimensions, "batch"), element type. */
export interface ValueSpec {
  name: string;
  shape: (number | string)[];
  type?: 'float32' | 'uint8';
}

/** A weight whose values are read only when the model file is written (streamed; see onnx-stream-writer.ts). */
export interface LazyWeight {
  name: string;
  dims: number[];
  /** Stored element type in the file; float16 weights are widened by a Cast node in the graph. */
  storage: 'float32' | 'float16';
  read: () => Promise<Float32Array>;
}

/** The plain model object protobufjs encodes as ModelProto (graph initialisers hold the small constants). */
export type ModelObject = Record<string, unknown> & { graph: Record<string, unknown> };

export interface ModelSpec {
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  opset: number;
  producerName: string;
  producerVersion: string;
  docString: string;
  metadata?: Record<string, string>;
}

interface NodeRecord {
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: Record<string, AttributeValue>;
}

export class GraphBuilder {
  private readonly nodes: NodeRecord[] = [];
  private readonly initializers: { name: string; tensor: TensorValue }[] = [];
  private readonly constantNames = new Map<string, string>();
  readonly lazyWeights: LazyWeight[] = [];
  private counter = 0;

  constructor(readonly name: string) {}

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /** A constant tensor (deduplicated by content). */
  constant(tensor: TensorValue, hint = 'c'): string {
    const key = `${tensor.type ?? 'float32'}|${tensor.dims.join('x')}|${Array.from(tensor.data).join(',')}`;
    const existing = this.constantNames.get(key);
    if (existing) return existing;
    const name = this.fresh(hint);
    this.initializers.push({ name, tensor });
    this.constantNames.set(key, name);
    return name;
  }

  /** A large weight read at write time. Returns the float32 value to use in nodes (a Cast output for
   * float16 storage). */
  weight(hint: string, dims: number[], read: () => Promise<Float32Array>, storage: LazyWeight['storage'] = 'float32'): string {
    const name = this.fresh(hint);
    this.lazyWeights.push({ name, dims, storage, read });
    return storage === 'float16' ? this.op1('Cast', [name], { to: OnnxDataType.FLOAT }) : name;
  }

  scalar(value: number): string {
    return this.constant({ dims: [], data: [value] }, 'k');
  }

  ints(values: number[]): string {
    return this.constant({ dims: [values.length], data: values, type: 'int64' }, 'i');
  }

  /** Adds one node; returns its output names. Integers in arrays become INTS, single integers become INT
   * unless wrapped ({ floats }) — float attributes are passed as { floats: [v] } or non-integer numbers. */
  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputCount = 1): string[] {
    const outputs = Array.from({ length: outputCount }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({ opType, inputs, outputs, attributes });
    return outputs;
  }

  op1(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}): string {
    return this.op(opType, inputs, attributes)[0];
  }

  /** Renames a value by an Identity node (for graph outputs with fixed names). */
  output(value: string, name: string): void {
    this.nodes.push({ opType: 'Identity', inputs: [value], outputs: [name], attributes: {} });
  }

  /** The whole model as bytes (graphs without lazy weights). */
  toBytes(spec: ModelSpec): Uint8Array {
    if (this.lazyWeights.length) throw new Error('internal error: a graph with streamed weights is written by writeOnnxStreaming');
    const model = this.toModelObject(spec);
    const err = ModelProto.verify(model);
    if (err) throw new Error(`internal error building ONNX graph: ${err}`);
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }

  /** The model object without the lazy weights (they are appended by the streaming writer). */
  toModelObject(spec: ModelSpec): ModelObject {
    const valueInfo = (v: ValueSpec) => ({
      name: v.name,
      type: {
        tensorType: {
          elemType: v.type === 'uint8' ? OnnxDataType.UINT8 : OnnxDataType.FLOAT,
          shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
    const model = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: spec.opset }],
      producerName: spec.producerName,
      producerVersion: spec.producerVersion,
      docString: spec.docString,
      metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
      graph: {
        name: this.name,
        node: this.nodes.map((n, idx) => ({
          name: `n${idx}_${n.opType}`,
          opType: n.opType,
          input: n.inputs,
          output: n.outputs,
          attribute: Object.entries(n.attributes).map(([name, v]) => encodeAttribute(name, v)),
        })),
        initializer: this.initializers.map(({ name, tensor }) => encodeTensor(name, tensor)),
        input: spec.inputs.map(valueInfo),
        output: spec.outputs.map(valueInfo),
      },
    };
    return model;
  }
}

function encodeAttribute(name: string, v: AttributeValue): object {
  if (typeof v === 'number') {
    return Number.isInteger(v)
      ? { name, type: OnnxAttributeType.INT, i: v }
      : { name, type: OnnxAttributeType.FLOAT, f: v };
  }
  if (Array.isArray(v)) return { name, type: OnnxAttributeType.INTS, ints: v };
  if ('int' in v) return { name, type: OnnxAttributeType.INT, i: v.int };
  return v.floats.length === 1
    ? { name, type: OnnxAttributeType.FLOAT, f: v.floats[0] }
    : { name, type: OnnxAttributeType.FLOATS, floats: v.floats };
}

function encodeTensor(name: string, t: TensorValue): object {
  if (t.type === 'int64') {
    return { name, dims: t.dims, dataType: OnnxDataType.INT64, int64Data: Array.from(t.data) };
  }
  const f = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
  // raw_data is little-endian IEEE 754, as ONNX specifies.
  const raw = new Uint8Array(f.byteLength);
  const view = new DataView(raw.buffer);
  for (let k = 0; k < f.length; k++) view.setFloat32(k * 4, f[k], true);
  return { name, dims: t.dims, dataType: OnnxDataType.FLOAT, rawData: raw };
}
