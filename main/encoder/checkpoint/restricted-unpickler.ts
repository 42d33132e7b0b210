// A pickle virtual machine that reads the `data.pkl` of a torch.save checkpoint without executing anything.
// Python's pickle format is a little program: GLOBAL names a Python callable, REDUCE calls it, BUILD sets
// attributes, so loading an untrusted pickle can run any code. This VM only builds plain JS values. It knows
// the opcodes torch.save (protocols 2-5) writes for a state dict, resolves GLOBAL against a short allow-list
// (OrderedDict, torch's tensor-rebuild functions, storage classes, dtypes), lets REDUCE "call" only those,
// turning `_rebuild_tensor_v2(storage, offset, size, stride, ...)` into a TorchTensorRef descriptor, and
// refuses everything else (any other global, INST/OBJ/NEWOBJ, unknown opcodes) with an 'unsafe-pickle'
// CheckpointError that names what it met. Lengths are checked against the bytes left, so a hostile or
// truncated pickle cannot make it allocate more than the input's size.
import { CheckpointError } from './checkpoint-tensors.js';
import { opcodeNames } from './pickle-opcodes.js';
import {
  allowedGlobal,
  reduce as reduceGlobal,
  storageFromPersistentId as persistentStorage,
} from './torch-pickle-globals.js';
import { describe, PickleDict, PickleGlobal, PickleSet, PickleTuple, type PickleValue } from './pickle-values.js';

export {
  PickleDict,
  PickleGlobal,
  PickleSet,
  PickleTuple,
  TorchStorageRef,
  TorchTensorRef,
  torchStorageTypes,
  type PickleValue,
  type TorchStorageType,
} from './pickle-values.js';

/**
 * Runs the pickle in `bytes` and returns the object it builds. `source` names the pickle in messages
 * (e.g. "model.bin (data.pkl)"). Throws CheckpointError: 'unsafe-pickle' for anything off the allow-list,
 * 'truncated' when the bytes end early, 'corrupt' for a malformed program, 'unsupported-format' for a
 * pickle protocol newer than 5.
 */
export function restrictedUnpickle(bytes: Uint8Array, source: string): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8');
  const stack: PickleValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;
  let opStart = 0;

  const unsafe = (what: string): CheckpointError =>
    new CheckpointError(
      'unsafe-pickle',
      `${source}: refusing to load this checkpoint: its pickle uses ${what} (at byte ${opStart}), which is ` +
        `not part of what torch.save writes for a state dict of tensors. Unpickling it in Python could run ` +
        `arbitrary code, so Tessera never does; nothing from it was run. If you trust the file's source, ` +
        `convert it in Python: load it with torch.load and save the state dict with ` +
        `safetensors.torch.save_file as model.safetensors.`,
    );
  const corrupt = (what: string): CheckpointError =>
    new CheckpointError('corrupt', `${source} is damaged: ${what} (at byte ${opStart}). Download the file again.`);
  const failures = { unsafe, corrupt };
  const truncated = (): CheckpointError =>
    new CheckpointError(
      'truncated',
      `${source} ends early (byte ${opStart} of ${bytes.length} needs more): the file is truncated; ` +
        `download it again.`,
    );

  const need = (n: number | bigint): number => {
    if (typeof n === 'bigint' ? n > BigInt(bytes.length - pos) : n > bytes.length - pos) throw truncated();
    return Number(n);
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++];
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = (): bigint => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    return v;
  };
  const take = (n: number | bigint): Uint8Array => {
    const len = need(n);
    const out = bytes.subarray(pos, pos + len);
    pos += len;
    return out;
  };
  /** A newline-terminated ASCII line (GLOBAL / INST operands). */
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw truncated();
    const text = utf8.decode(bytes.subarray(pos, Math.min(end, pos + 200)));
    pos = end + 1;
    return text;
  };

  const pop = (): PickleValue => {
    const floor = marks.length ? marks[marks.length - 1] : 0;
    if (stack.length <= floor) throw corrupt('an opcode needs a value but the stack is empty');
    return stack.pop() as PickleValue;
  };
  const top = (): PickleValue => {
    const floor = marks.length ? marks[marks.length - 1] : 0;
    if (stack.length <= floor) throw corrupt('an opcode needs a value but the stack is empty');
    return stack[stack.length - 1];
  };
  const popMark = (): PickleValue[] => {
    const mark = marks.pop();
    if (mark === undefined) throw corrupt('an opcode needs a MARK but there is none');
    return stack.splice(mark);
  };
  const resolveGlobal = (module: string, name: string): PickleGlobal => {
    const resolved = allowedGlobal(module, name);
    if (!resolved) throw unsafe(`the global '${module}.${name}'`);
    return new PickleGlobal(module, name, resolved);
  };
  const setItem = (target: PickleValue, key: PickleValue, value: PickleValue): void => {
    if (!(target instanceof PickleDict)) throw corrupt(`SETITEM on ${describe(target)}, not a dict`);
    if (Array.isArray(key) || key instanceof PickleDict || key instanceof PickleSet)
      throw corrupt(`a dict key is ${describe(key)}, which Python cannot hash`);
    target.entries.set(key, value);
  };
  const signedLE = (raw: Uint8Array): number | bigint => {
    let v = 0n;
    for (let i = raw.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(raw[i]);
    if (raw.length && raw[raw.length - 1] & 0x80) v -= 1n << BigInt(raw.length * 8);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    opStart = pos;
    if (pos >= bytes.length) throw truncated();
    const op = bytes[pos++];
    switch (op) {
      case 0x80: {
        // PROTO
        const version = u8();
        if (version > 5)
          throw new CheckpointError(
            'unsupported-format',
            `${source} uses pickle protocol ${version}; this reader knows protocols 2 to 5.`,
          );
        break;
      }
      case 0x95: // FRAME: an 8-byte length; framing only groups opcodes, so check and go on.
        need(u64());
        break;
      case 0x2e: // STOP
        return pop();
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;

      // Constants.
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: {
        // BININT: signed 32-bit
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      }
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: // LONG1: n bytes of little-endian two's complement
        stack.push(signedLE(take(u8())));
        break;
      case 0x47: {
        // BINFLOAT: big-endian float64
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(take(u32())));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(take(u8())));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(take(u64())));
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;

      // Containers.
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict(false));
        break;
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push(new PickleTuple([]));
        break;
      case 0x8f: // EMPTY_SET
        stack.push(new PickleSet());
        break;
      case 0x74: // TUPLE
        stack.push(new PickleTuple(popMark()));
        break;
      case 0x85: // TUPLE1
        stack.push(new PickleTuple([pop()]));
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b]));
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push(new PickleTuple([a, b, c]));
        break;
      }
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x64: {
        // DICT
        const items = popMark();
        if (items.length % 2) throw corrupt('DICT with an odd number of items');
        const dict = new PickleDict(false);
        for (let i = 0; i < items.length; i += 2) setItem(dict, items[i], items[i + 1]);
        stack.push(dict);
        break;
      }
      case 0x61: {
        // APPEND
        const value = pop();
        const list = top();
        if (!Array.isArray(list)) throw corrupt(`APPEND to ${describe(list)}, not a list`);
        list.push(value);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = top();
        if (!Array.isArray(list)) throw corrupt(`APPENDS to ${describe(list)}, not a list`);
        for (const item of items) list.push(item);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItem(top(), key, value);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        if (items.length % 2) throw corrupt('SETITEMS with an odd number of items');
        const dict = top();
        for (let i = 0; i < items.length; i += 2) setItem(dict, items[i], items[i + 1]);
        break;
      }
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const set = top();
        if (!(set instanceof PickleSet)) throw corrupt(`ADDITEMS to ${describe(set)}, not a set`);
        for (const item of items) set.items.push(item);
        break;
      }

      // Memo.
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = op === 0x68 ? u8() : u32();
        if (!memo.has(index)) throw corrupt(`memo slot ${index} is read before it is written`);
        stack.push(memo.get(index) as PickleValue);
        break;
      }

      // Globals and calls: allow-listed markers only.
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string')
          throw corrupt('STACK_GLOBAL needs a module and a name string');
        stack.push(resolveGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        stack.push(reduceGlobal(callable, args, failures));
        break;
      }
      case 0x62: {
        // BUILD: only torch's OrderedDict gets attributes (`_metadata`).
        const state = pop();
        const target = top();
        if (!(target instanceof PickleDict && target.ordered))
          throw unsafe(`BUILD (setting the state of ${describe(target)})`);
        if (!(state instanceof PickleDict)) throw unsafe(`BUILD with ${describe(state)} as the OrderedDict's state`);
        target.attributes = state;
        break;
      }
      case 0x51: {
        // BINPERSID: torch's reference to a storage record.
        stack.push(persistentStorage(pop(), failures));
        break;
      }
      case 0x69: {
        // INST "module\nname\n": builds an instance by calling the class.
        const module = line();
        const name = line();
        throw unsafe(`the opcode INST on '${module}.${name}'`);
      }
      case 0x81: // NEWOBJ
      case 0x92: {
        // NEWOBJ_EX
        const at = stack.length - (op === 0x81 ? 2 : 3); // NEWOBJ: cls, args; NEWOBJ_EX: cls, args, kwargs
        const cls = at >= 0 ? stack[at] : undefined;
        const of = cls === undefined ? '' : ` (creating an instance of ${describe(cls)})`;
        throw unsafe(`the opcode ${opcodeNames[op]}${of}`);
      }
      default: {
        const name = opcodeNames[op];
        throw unsafe(
          name
            ? `the opcode ${name}`
            : `the byte 0x${op.toString(16).padStart(2, '0')}, which is not a pickle opcode this reader knows`,
        );
      }
    }
  }
}
