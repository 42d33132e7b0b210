// What the restricted pickle VM lets a torch.save pickle name and "call": the allow-list of globals
// (OrderedDict, torch's tensor-rebuild functions, storage classes, dtypes) and what REDUCE and BINPERSID
// make of them — plain descriptors, never a call into anything.
import type { CheckpointError } from './checkpoint-tensors.js';
import {
  describe,
  isInt,
  PickleDict,
  PickleGlobal,
  PickleTuple,
  TorchStorageRef,
  TorchTensorRef,
  torchDtypeNames,
  torchStorageTypes,
  type GlobalKind,
  type PickleValue,
} from './pickle-values.js';

/** How the VM reports a refusal ('unsafe-pickle') or a malformed program ('corrupt'), with its position. */
export interface PickleFailures {
  unsafe: (what: string) => CheckpointError;
  corrupt: (what: string) => CheckpointError;
}

/** Resolves a global against the allow-list; undefined when it is not on it. */
export function allowedGlobal(module: string, name: string): GlobalKind | undefined {
  if (module === 'collections' && name === 'OrderedDict') return { kind: 'ordered-dict' };
  if (module === 'torch._utils') {
    if (name === '_rebuild_tensor_v2') return { kind: 'rebuild-tensor-v2' };
    if (name === '_rebuild_tensor') return { kind: 'rebuild-tensor' };
    if (name === '_rebuild_parameter') return { kind: 'rebuild-parameter', withState: false };
    if (name === '_rebuild_parameter_with_state') return { kind: 'rebuild-parameter', withState: true };
  }
  if (module === 'torch') {
    const storageType = torchStorageTypes.get(name);
    if (storageType) return { kind: 'storage-type', storageType };
    if (torchDtypeNames.has(name)) return { kind: 'dtype', dtype: name };
  }
  return undefined;
}

/** REDUCE: "calls" an allow-listed global, building a plain value; anything else is refused. */
export function reduce(callable: PickleValue, args: PickleValue, fail: PickleFailures): PickleValue {
  const { unsafe, corrupt } = fail;
  if (!(callable instanceof PickleGlobal)) throw unsafe(`REDUCE (a call) on ${describe(callable)}`);
  if (!(args instanceof PickleTuple)) throw corrupt(`REDUCE on ${callable.qualifiedName} with ${describe(args)}`);
  const a = args.items;
  const g = callable.resolved;
  switch (g.kind) {
    case 'ordered-dict':
      if (a.length) throw unsafe(`collections.OrderedDict called with ${a.length} argument(s)`);
      return new PickleDict(true);
    case 'rebuild-tensor-v2':
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      if (a.length !== 6 && a.length !== 7)
        throw corrupt(`${callable.qualifiedName} called with ${a.length} arguments, not 6 or 7`);
      return tensor(callable, a, fail);
    case 'rebuild-tensor':
      // (storage, storage_offset, size, stride)
      if (a.length !== 4) throw corrupt(`${callable.qualifiedName} called with ${a.length} arguments, not 4`);
      return tensor(callable, a, fail);
    case 'rebuild-parameter': {
      // (data, requires_grad, backward_hooks[, state]): a Parameter is just its tensor here.
      if (a.length !== (g.withState ? 4 : 3))
        throw corrupt(`${callable.qualifiedName} called with ${a.length} arguments`);
      if (!(a[0] instanceof TorchTensorRef))
        throw corrupt(`${callable.qualifiedName} called on ${describe(a[0])}, not a tensor`);
      return a[0];
    }
    default:
      throw unsafe(`REDUCE (a call) on ${callable.qualifiedName}`);
  }
}

function tensor(callable: PickleGlobal, a: readonly PickleValue[], { corrupt }: PickleFailures): TorchTensorRef {
  const [storage, offset, size, stride] = a;
  const ints = (v: PickleValue): number[] | undefined =>
    v instanceof PickleTuple && v.items.every((x) => isInt(x) && x >= 0) ? (v.items as number[]) : undefined;
  const shape = ints(size);
  const strides = ints(stride);
  if (!(storage instanceof TorchStorageRef))
    throw corrupt(`${callable.qualifiedName} called on ${describe(storage)}, not a storage`);
  if (!isInt(offset) || offset < 0) throw corrupt(`${callable.qualifiedName} with storage offset ${describe(offset)}`);
  if (!shape || !strides || shape.length !== strides.length)
    throw corrupt(`${callable.qualifiedName} with a malformed size or stride`);
  return new TorchTensorRef(storage, offset, shape, strides);
}

/** BINPERSID: only torch's ('storage', <storage class>, key, location, numel) reference. */
export function storageFromPersistentId(pid: PickleValue, { unsafe, corrupt }: PickleFailures): TorchStorageRef {
  if (!(pid instanceof PickleTuple) || pid.items[0] !== 'storage')
    throw unsafe(`a persistent id (BINPERSID) that is ${describe(pid)}, not a torch storage reference`);
  const [, type, key, location, numel] = pid.items;
  if (pid.items.length !== 5) throw corrupt(`a storage reference with ${pid.items.length} fields, not 5`);
  if (!(type instanceof PickleGlobal && type.resolved.kind === 'storage-type'))
    throw unsafe(`a storage reference whose type is ${describe(type)}`);
  if (typeof key !== 'string' || typeof location !== 'string' || !isInt(numel) || numel < 0)
    throw corrupt('a storage reference with a malformed key, location or size');
  return new TorchStorageRef(type.resolved.storageType, key, location, numel);
}
