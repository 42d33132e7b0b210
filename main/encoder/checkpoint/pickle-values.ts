// The plain values the restricted pickle VM builds (restricted-unpickler.ts): tuples, dicts, sets, allow-listed
// globals as inert markers, and torch storage / tensor descriptors. Nothing here can run code.
import type { CheckpointDtype } from './checkpoint-tensors.js';

/** A torch storage class (`torch.FloatStorage` …) and what its elements are. */
export interface TorchStorageType {
  /** The class name torch writes, e.g. 'FloatStorage'. */
  readonly className: string;
  /** torch's dtype name, e.g. 'float32', 'int64'. */
  readonly dtype: string;
  readonly elementBytes: number;
  /** Set for the floating-point types a CheckpointTensors can hand out. */
  readonly checkpointDtype?: CheckpointDtype;
}

const storageTypeList: TorchStorageType[] = [
  { className: 'FloatStorage', dtype: 'float32', elementBytes: 4, checkpointDtype: 'float32' },
  { className: 'HalfStorage', dtype: 'float16', elementBytes: 2, checkpointDtype: 'float16' },
  { className: 'BFloat16Storage', dtype: 'bfloat16', elementBytes: 2, checkpointDtype: 'bfloat16' },
  { className: 'DoubleStorage', dtype: 'float64', elementBytes: 8, checkpointDtype: 'float64' },
  { className: 'LongStorage', dtype: 'int64', elementBytes: 8 },
  { className: 'IntStorage', dtype: 'int32', elementBytes: 4 },
  { className: 'ShortStorage', dtype: 'int16', elementBytes: 2 },
  { className: 'CharStorage', dtype: 'int8', elementBytes: 1 },
  { className: 'ByteStorage', dtype: 'uint8', elementBytes: 1 },
  { className: 'BoolStorage', dtype: 'bool', elementBytes: 1 },
  { className: 'ComplexFloatStorage', dtype: 'complex64', elementBytes: 8 },
  { className: 'ComplexDoubleStorage', dtype: 'complex128', elementBytes: 16 },
  // torch ≥ 2.0 writes this only for bare untyped storages; torch.load reads them as uint8.
  { className: 'UntypedStorage', dtype: 'uint8', elementBytes: 1 },
];
export const torchStorageTypes: ReadonlyMap<string, TorchStorageType> = new Map(
  storageTypeList.map((t) => [t.className, t]),
);

/** torch dtype objects (`torch.float32` …) that may appear as plain values; inert here. */
export const torchDtypeNames = new Set([
  'float32',
  'float16',
  'bfloat16',
  'float64',
  'int64',
  'int32',
  'int16',
  'int8',
  'uint8',
  'bool',
  'complex64',
  'complex128',
]);

export type GlobalKind =
  | { kind: 'ordered-dict' }
  | { kind: 'rebuild-tensor-v2' }
  | { kind: 'rebuild-tensor' }
  | { kind: 'rebuild-parameter'; withState: boolean }
  | { kind: 'storage-type'; storageType: TorchStorageType }
  | { kind: 'dtype'; dtype: string };

/** An allow-listed Python global, resolved to a marker; nothing is imported or called. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly resolved: GlobalKind,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

/** A dict or OrderedDict; keys are compared the way a JS Map does (primitives by value). */
export class PickleDict {
  readonly entries = new Map<PickleValue, PickleValue>();
  /** Attributes BUILD set on an OrderedDict (torch stores `_metadata` there). */
  attributes?: PickleDict;
  constructor(readonly ordered: boolean) {}
}

export class PickleSet {
  readonly items: PickleValue[] = [];
}

/** A storage reference from a persistent id: ('storage', torch.FloatStorage, key, location, numel). */
export class TorchStorageRef {
  constructor(
    readonly storageType: TorchStorageType,
    /** Names the archive entry `<prefix>/data/<key>`. */
    readonly key: string,
    /** Device it was saved from ('cpu', 'cuda:0'); the bytes are the same either way. */
    readonly location: string,
    /** Elements in the storage. */
    readonly numel: number,
  ) {}
}

/** What `torch._utils._rebuild_tensor_v2` would have built: a view into a storage. */
export class TorchTensorRef {
  constructor(
    readonly storage: TorchStorageRef,
    /** In elements. */
    readonly storageOffset: number,
    readonly shape: readonly number[],
    /** In elements, one per dimension. */
    readonly stride: readonly number[],
  ) {}
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | PickleDict
  | PickleSet
  | PickleGlobal
  | TorchStorageRef
  | TorchTensorRef;

export const describe = (v: PickleValue): string => {
  if (v === null) return 'None';
  if (v instanceof PickleGlobal) return v.qualifiedName;
  if (v instanceof PickleTuple) return 'a tuple';
  if (v instanceof PickleDict) return v.ordered ? 'an OrderedDict' : 'a dict';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  if (v instanceof TorchTensorRef) return 'a tensor';
  if (v instanceof TorchStorageRef) return 'a storage';
  if (v instanceof PickleSet) return 'a set';
  return typeof v === 'string' ? 'a string' : `the ${typeof v} ${String(v)}`;
};

export const isInt = (v: PickleValue): v is number => typeof v === 'number' && Number.isSafeInteger(v);
