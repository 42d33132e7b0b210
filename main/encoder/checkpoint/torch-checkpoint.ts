// Reads PyTorch torch.save checkpoints (pytorch_model.bin, .pth, .pt) as CheckpointTensors without running
// Python's pickle: torch-zip.ts opens the archive, restricted-unpickler.ts turns data.pkl into plain values
// (refusing anything but dicts of tensors), and this module finds the state dict in them — the root, or the
// dict under 'state_dict', 'model' or 'teacher' (DINO) — checks every tensor against its storage record,
// and reads each tensor's values on demand (contiguous slices directly, other strides by gathering).
import {
  CheckpointError,
  elementCount,
  widenToFloat32,
  type CheckpointTensorInfo,
  type CheckpointTensors,
} from './checkpoint-tensors.js';
import { PickleDict, TorchTensorRef, restrictedUnpickle, type PickleValue } from './restricted-unpickler.js';
import { TorchZip, type TorchZipEntry } from './torch-zip.js';

/** A tensor that is in the state dict but not handed out, because its elements are not floating point. */
export interface SkippedTensor {
  name: string;
  /** torch's dtype name, e.g. 'int64' (BatchNorm's num_batches_tracked). */
  dtype: string;
  shape: number[];
}

export interface TorchCheckpoint extends CheckpointTensors {
  /** Which top-level entry held the state dict ('state_dict', 'model', 'teacher'); null when the root is it. */
  readonly stateDictKey: string | null;
  /** A sentence for the user when the state dict was not the root. */
  readonly note?: string;
  /** Integer / bool / complex tensors, left out of `tensors`. */
  readonly skipped: readonly SkippedTensor[];
}

/** Keys under which training scripts nest the state dict, tried in this order. */
const WRAPPER_KEYS = ['state_dict', 'model', 'teacher'];

interface TensorEntry extends CheckpointTensorInfo {
  ref: TorchTensorRef;
  record: TorchZipEntry;
  elementBytes: number;
}

/**
 * Opens a torch.save checkpoint. Throws CheckpointError: not-found, unsupported-format (not a zip, legacy
 * format, TorchScript, big-endian, compressed storages, no state dict), truncated, corrupt, unsafe-pickle.
 */
export async function openTorchCheckpoint(path: string): Promise<TorchCheckpoint> {
  const zip = await TorchZip.open(path);
  try {
    await checkByteOrder(zip);
    const pickle = zip.entry('data.pkl');
    if (!pickle) throw new CheckpointError('unsupported-format', `${path} has no data.pkl.`);
    const root = restrictedUnpickle(await zip.readRecord(pickle), `${path} (${pickle.name})`);
    const { dict, key } = findStateDict(path, root);

    const tensors: TensorEntry[] = [];
    const skipped: SkippedTensor[] = [];
    for (const [name, value] of dict.entries) {
      if (typeof name !== 'string' || !(value instanceof TorchTensorRef)) continue;
      const { storageType } = value.storage;
      const shape = [...value.shape];
      const record = checkTensor(zip, name, value);
      if (!storageType.checkpointDtype) skipped.push({ name, dtype: storageType.dtype, shape });
      else
        tensors.push({
          name,
          dtype: storageType.checkpointDtype,
          shape,
          ref: value,
          record,
          elementBytes: storageType.elementBytes,
        });
    }
    if (!tensors.length)
      throw new CheckpointError(
        'unsupported-format',
        `${path} holds no floating-point tensors${skipped.length ? ` (only ${skipped.map((s) => s.dtype).join(', ')})` : ''}.`,
      );
    return new TorchCheckpointFile(zip, tensors, skipped, key);
  } catch (err) {
    await zip.close();
    throw err;
  }
}

class TorchCheckpointFile implements TorchCheckpoint {
  readonly path: string;
  readonly tensors: readonly CheckpointTensorInfo[];
  readonly note?: string;
  private readonly byName: Map<string, TensorEntry>;

  constructor(
    private readonly zip: TorchZip,
    entries: TensorEntry[],
    readonly skipped: readonly SkippedTensor[],
    readonly stateDictKey: string | null,
  ) {
    this.path = zip.path;
    this.tensors = entries.map(({ name, dtype, shape }) => ({ name, dtype, shape: [...shape] }));
    this.byName = new Map(entries.map((e) => [e.name, e]));
    if (stateDictKey !== null)
      this.note = `${zip.path}: using the state dict stored under '${stateDictKey}' in the checkpoint.`;
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const t = this.byName.get(name);
    if (!t) {
      const skip = this.skipped.find((s) => s.name === name);
      if (skip)
        throw new CheckpointError(
          'unsupported-dtype',
          `${this.path}: tensor '${name}' holds ${skip.dtype} values; only floating-point tensors can be read.`,
        );
      throw new CheckpointError('unknown-tensor', `${this.path} has no tensor named '${name}'.`);
    }
    const count = elementCount(t.shape);
    if (count === 0) return new Float32Array(0);
    const { storageOffset, shape, stride } = t.ref;
    const what = `tensor '${name}'`;
    if (isContiguous(shape, stride)) {
      const bytes = await this.zip.readStorage(t.record, storageOffset * t.elementBytes, count * t.elementBytes, what);
      return widenToFloat32(bytes, t.dtype, count);
    }
    const span = lastIndex(t.ref) - storageOffset + 1;
    const bytes = await this.zip.readStorage(t.record, storageOffset * t.elementBytes, span * t.elementBytes, what);
    return gather(widenToFloat32(bytes, t.dtype, span), shape, stride, count);
  }

  close(): Promise<void> {
    return this.zip.close();
  }
}

/** Refuses big-endian archives: the `byteorder` record is absent (little) or says 'little' / 'big'. */
async function checkByteOrder(zip: TorchZip): Promise<void> {
  const record = zip.entry('byteorder');
  if (!record) return;
  const order = new TextDecoder().decode(await zip.readRecord(record)).trim();
  if (order === 'little') return;
  throw new CheckpointError(
    'unsupported-format',
    order === 'big'
      ? `${zip.path} was saved on a big-endian machine; re-save it on a little-endian one (x86, ARM) or use model.safetensors.`
      : `${zip.path}: its byteorder record says '${order.slice(0, 40)}', neither 'little' nor 'big'.`,
  );
}

const isDict = (v: PickleValue | undefined): v is PickleDict => v instanceof PickleDict;
/** A dict holding tensors and no nested dicts (scalars beside the tensors are skipped). */
const isStateDict = (v: PickleValue | undefined): v is PickleDict =>
  isDict(v) &&
  [...v.entries.values()].some((x) => x instanceof TorchTensorRef) &&
  ![...v.entries.values()].some(isDict);

function findStateDict(path: string, root: PickleValue): { dict: PickleDict; key: string | null } {
  if (isStateDict(root)) return { dict: root, key: null };
  if (isDict(root)) {
    for (const key of WRAPPER_KEYS) {
      const value = root.entries.get(key);
      if (isStateDict(value)) return { dict: value, key };
    }
    const keys = [...root.entries.keys()].map((k) => (typeof k === 'string' ? `'${k}'` : String(k)));
    throw new CheckpointError(
      'unsupported-format',
      `${path} holds no state dict: its top-level keys are ${keys.slice(0, 12).join(', ') || '(none)'}` +
        `${keys.length > 12 ? ', …' : ''}. Expected a dict of name → tensor, or one under ` +
        `${WRAPPER_KEYS.map((k) => `'${k}'`).join(', ')}.`,
    );
  }
  throw new CheckpointError(
    'unsupported-format',
    `${path} holds a single ${root instanceof TorchTensorRef ? 'tensor' : 'value'}, not a state dict (name → tensor).`,
  );
}

/** The record of a tensor's storage, after checking the tensor lies inside it. */
function checkTensor(zip: TorchZip, name: string, t: TorchTensorRef): TorchZipEntry {
  const { storage } = t;
  const record = zip.entry(`data/${storage.key}`);
  const where = `${zip.path}: tensor '${name}'`;
  if (!record)
    throw new CheckpointError(
      'corrupt',
      `${where} refers to storage record data/${storage.key}, which the archive lacks.`,
    );
  if (record.compressionMethod !== 0 && storage.storageType.checkpointDtype)
    throw new CheckpointError(
      'unsupported-format',
      `${where}: its storage ${record.name} is compressed (ZIP method ${record.compressionMethod}), but torch.save ` +
        `stores tensor data uncompressed, so the archive was probably re-zipped. Use the original file.`,
    );
  const needBytes = storage.numel * storage.storageType.elementBytes;
  if (record.size < needBytes)
    throw new CheckpointError(
      'corrupt',
      `${where}: its storage ${record.name} holds ${record.size} bytes, but the pickle says ${storage.numel} ` +
        `${storage.storageType.dtype} elements (${needBytes} bytes). Download the file again.`,
    );
  if (elementCount(t.shape) > 0 && lastIndex(t) >= storage.numel)
    throw new CheckpointError(
      'corrupt',
      `${where} (shape [${t.shape.join(', ')}], stride [${t.stride.join(', ')}], offset ${t.storageOffset}) reaches ` +
        `element ${lastIndex(t)}, past the ${storage.numel} elements of its storage.`,
    );
  return record;
}

/** The storage index of a (non-empty) tensor's last element. */
function lastIndex(t: TorchTensorRef): number {
  let last = t.storageOffset;
  for (let d = 0; d < t.shape.length; d++) last += (t.shape[d] - 1) * t.stride[d];
  return last;
}

/** Row-major (C order) strides, ignoring dimensions of size 1. */
function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

/** Gathers a strided view into a row-major array; `src[0]` is the view's first element. */
function gather(src: Float32Array, shape: readonly number[], stride: readonly number[], count: number): Float32Array {
  const out = new Float32Array(count);
  const index = new Array<number>(shape.length).fill(0);
  let at = 0;
  for (let i = 0; i < count; i++) {
    out[i] = src[at];
    for (let d = shape.length - 1; d >= 0; d--) {
      at += stride[d];
      if (++index[d] < shape[d]) break;
      at -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}
