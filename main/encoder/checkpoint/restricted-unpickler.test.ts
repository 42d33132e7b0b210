import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CheckpointError, type CheckpointErrorCode } from './checkpoint-tensors.js';
import {
  PickleDict,
  PickleTuple,
  TorchTensorRef,
  restrictedUnpickle,
  type PickleValue,
} from './restricted-unpickler.js';
import { PickleWriter, stateDictPickle, writeTensor, type FixtureStorage } from './testing/torch-fixtures.js';

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Asserts `fn` throws a CheckpointError with `code` whose message contains every `parts`. */
function throwsCheckpoint(fn: () => unknown, code: CheckpointErrorCode, ...parts: string[]): void {
  assert.throws(
    fn,
    (err: unknown) => {
      assert.ok(err instanceof CheckpointError, `not a CheckpointError: ${String(err)}`);
      assert.equal(err.code, code, err.message);
      for (const p of parts) assert.ok(err.message.includes(p), `"${err.message}" lacks "${p}"`);
      return true;
    },
    parts.join(' / '),
  );
}

const plain = (v: PickleValue): unknown => {
  if (v instanceof PickleDict) return Object.fromEntries([...v.entries].map(([k, x]) => [String(k), plain(x)]));
  if (v instanceof PickleTuple) return { tuple: v.items.map(plain) };
  if (Array.isArray(v)) return v.map(plain);
  return v;
};

// Written by CPython 3.11 pickle.dumps(data, protocol=p), with
// data = {'a': [1, 2.5, True, False, None, (1,2,3), (4,), (5,6), ()], 'big': 2**70, 'neg': -5, 'n2': 300,
//         'n4': 70000, 'negbig': -2**40, 'uni': 'héllo ✓', 'od': OrderedDict([('k', 1)])}
// (protocols 3-5 also carry b'xy' after None; protocol 2 would write bytes through _codecs.encode).
const pythonPickles: Record<number, string> = {
  2: '80027d71002858010000006171015d7102284b0147400400000000000088894e4b014b024b038771034b048571044b054b068671052965580300000062696771068a0900000000000000004058030000006e656771074afbffffff58020000006e3271084d2c0158020000006e3471094a7011010058060000006e6567626967710a8a060000000000ff5803000000756e69710b580a00000068c3a96c6c6f20e29c93710c58020000006f64710d63636f6c6c656374696f6e730a4f726465726564446963740a710e2952710f58010000006b71104b0173752e',
  3: '80037d71002858010000006171015d7102284b0147400400000000000088894e4302787971034b014b024b038771044b048571054b054b068671062965580300000062696771078a0900000000000000004058030000006e656771084afbffffff58020000006e3271094d2c0158020000006e34710a4a7011010058060000006e6567626967710b8a060000000000ff5803000000756e69710c580a00000068c3a96c6c6f20e29c93710d58020000006f64710e63636f6c6c656374696f6e730a4f726465726564446963740a710f2952711058010000006b71114b0173752e',
  4: '800495b2000000000000007d94288c0161945d94284b0147400400000000000088894e43027879944b014b024b0387944b0485944b054b06869429658c03626967948a090000000000000000408c036e6567944afbffffff8c026e32944d2c018c026e34944a701101008c066e6567626967948a060000000000ff8c03756e69948c0a68c3a96c6c6f20e29c93948c026f64948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b944b0173752e',
  5: '800595b2000000000000007d94288c0161945d94284b0147400400000000000088894e43027879944b014b024b0387944b0485944b054b06869429658c03626967948a090000000000000000408c036e6567944afbffffff8c026e32944d2c018c026e34944a701101008c066e6567626967948a060000000000ff8c03756e69948c0a68c3a96c6c6f20e29c93948c026f64948c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c016b944b0173752e',
};

test('plain values written by CPython with protocols 2 to 5 come back as JS values', () => {
  for (const [protocol, bytes] of Object.entries(pythonPickles)) {
    const list: unknown[] = [1, 2.5, true, false, null];
    if (protocol !== '2') list.push(new Uint8Array([0x78, 0x79]));
    list.push({ tuple: [1, 2, 3] }, { tuple: [4] }, { tuple: [5, 6] }, { tuple: [] });
    const root = restrictedUnpickle(hex(bytes), `p${protocol}`);
    assert.deepEqual(
      plain(root),
      {
        a: list,
        big: 2n ** 70n,
        neg: -5,
        n2: 300,
        n4: 70000,
        negbig: -(2 ** 40),
        uni: 'héllo ✓',
        od: { k: 1 },
      },
      `protocol ${protocol}`,
    );
    assert.ok(root instanceof PickleDict && (root.entries.get('od') as PickleDict).ordered);
  }
});

test('a torch-style state dict becomes tensor descriptors; _metadata is kept as an attribute', () => {
  const storages: FixtureStorage[] = [
    { key: '0', type: 'FloatStorage', numel: 6, data: new Uint8Array(24) },
    { key: '1', type: 'LongStorage', numel: 1, data: new Uint8Array(8) },
  ];
  const bytes = stateDictPickle(
    [
      { name: 'w', storage: '0', shape: [2, 3] },
      { name: 'wt', storage: '0', shape: [3, 2], stride: [1, 3], offset: 0 },
      { name: 'n', storage: '1', shape: [] },
    ],
    storages,
  );
  const root = restrictedUnpickle(bytes, 'sd');
  assert.ok(root instanceof PickleDict && root.ordered);
  assert.deepEqual([...root.entries.keys()], ['w', 'wt', 'n']);
  const w = root.entries.get('w') as TorchTensorRef;
  assert.ok(w instanceof TorchTensorRef);
  assert.deepEqual([w.shape, w.stride, w.storageOffset], [[2, 3], [3, 1], 0]);
  assert.deepEqual([w.storage.key, w.storage.location, w.storage.numel], ['0', 'cpu', 6]);
  assert.equal(w.storage.storageType.checkpointDtype, 'float32');
  assert.deepEqual((root.entries.get('wt') as TorchTensorRef).stride, [1, 3]);
  const n = root.entries.get('n') as TorchTensorRef;
  assert.deepEqual(
    [n.shape, n.storage.storageType.dtype, n.storage.storageType.checkpointDtype],
    [[], 'int64', undefined],
  );
  assert.ok(root.attributes?.entries.get('_metadata') instanceof PickleDict);
});

test('protocol 4 framing, STACK_GLOBAL, MEMOIZE, LONG_BINPUT/LONG_BINGET and _rebuild_parameter work', () => {
  const storages: FixtureStorage[] = [{ key: '7', type: 'HalfStorage', numel: 4, data: new Uint8Array(8) }];
  const w = new PickleWriter().proto(4);
  w.raw(0x95, 0, 0, 0, 0, 0, 0, 0, 0); // FRAME of length 0 (lengths are only checked)
  w.raw(0x8c, 11).op('collections').memoize(); // SHORT_BINUNICODE, memo 0
  w.raw(0x8c, 11).op('OrderedDict').memoize(); // memo 1
  w.raw(0x93).memoize(); // STACK_GLOBAL collections.OrderedDict, memo 2
  w.op(')R').memoize(); // OrderedDict(), memo 3
  for (let i = 0; i < 300; i++) w.str(`pad${i}`).put().op('0'); // push the memo past 255, POP each
  w.str('p').put((i) => assert.equal(i, 304));
  w.global('torch._utils', '_rebuild_parameter');
  writeTensor(w, { name: 'p', storage: '7', shape: [4] }, storages);
  w.raw(0x88).get(2).op(')R').raw(0x87).op('R').op('s'); // _rebuild_parameter(tensor, True, OrderedDict())
  w.str('again').get(304).op('s').op('.');
  const root = restrictedUnpickle(w.bytes(), 'p4') as PickleDict;
  const p = root.entries.get('p') as TorchTensorRef;
  assert.ok(p instanceof TorchTensorRef);
  assert.equal(p.storage.storageType.checkpointDtype, 'float16');
  assert.equal(root.entries.get('again'), 'p');
});

// Hostile programs: each must be refused, naming what it used, before anything could be built from it.
const hostile: [string, Uint8Array, string][] = [
  // class E: __reduce__ = lambda self: (eval, ("__import__('os').system('echo pwned')",)), protocol 2 and 4
  [
    'builtins.eval via __reduce__ (protocol 2)',
    hex(
      '8002635f5f6275696c74696e5f5f0a6576616c0a710058250000005f5f696d706f72745f5f28276f7327292e73797374656d28276563686f2070776e6564272971018571025271032e',
    ),
    "'__builtin__.eval'",
  ],
  [
    'builtins.eval via __reduce__ (protocol 4, STACK_GLOBAL)',
    hex(
      '80049541000000000000008c086275696c74696e73948c046576616c9493948c255f5f696d706f72745f5f28276f7327292e73797374656d28276563686f2070776e6564272994859452942e',
    ),
    "'builtins.eval'",
  ],
  // (os.system, ('echo pwned',)) as CPython on Linux writes it
  [
    'posix.system',
    hex('800263706f7369780a73797374656d0a7100580a0000006563686f2070776e656471018571025271032e'),
    "'posix.system'",
  ],
  ['os.system', ascii('\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.'), "'os.system'"],
  [
    '__builtin__.getattr',
    hex('8002635f5f6275696c74696e5f5f0a676574617474720a71005800000000710158040000006a6f696e71028671035271042e'),
    "'__builtin__.getattr'",
  ],
  ['subprocess.Popen', ascii('\x80\x02csubprocess\nPopen\n]X\x02\x00\x00\x00ls\x85R.'), "'subprocess.Popen'"],
  ['INST', ascii('\x80\x02(iposix\nsystem\nX\x02\x00\x00\x00ls.'), "INST on 'posix.system'"],
  [
    'NEWOBJ',
    ascii('\x80\x02ccollections\nOrderedDict\n)\x81.'),
    'NEWOBJ (creating an instance of collections.OrderedDict)',
  ],
  ['NEWOBJ_EX', ascii('\x80\x04ccollections\nOrderedDict\n)}\x92.'), 'NEWOBJ_EX'],
  ['OBJ', ascii('\x80\x02(ccollections\nOrderedDict\no.'), 'the opcode OBJ'],
  [
    'REDUCE on a storage class',
    ascii('\x80\x02ctorch\nFloatStorage\nK\x04\x85R.'),
    'REDUCE (a call) on torch.FloatStorage',
  ],
  ['REDUCE on a string', ascii('\x80\x02X\x01\x00\x00\x00x)R.'), 'REDUCE (a call) on a string'],
  [
    'OrderedDict with arguments',
    ascii('\x80\x02ccollections\nOrderedDict\n]\x85R.'),
    'collections.OrderedDict called with 1',
  ],
  ['BUILD on a plain dict', ascii('\x80\x02}}b.'), 'BUILD (setting the state of a dict)'],
  ['BUILD on a list', ascii('\x80\x02]}b.'), 'BUILD (setting the state of a list)'],
  ['a non-storage persistent id', ascii('\x80\x02X\x03\x00\x00\x00cmdQ.'), 'persistent id'],
  ['bytes through _codecs.encode (protocol 2)', ascii('\x80\x02c_codecs\nencode\n.'), "'_codecs.encode'"],
  ['text-protocol INT', ascii('I1\n.'), 'the opcode INT'],
  ['EXT1', ascii('\x80\x02\x82\x01.'), 'the opcode EXT1'],
  ['an unknown byte', ascii('\x80\x02\xff.'), 'the byte 0xff'],
];

test('hostile pickles are refused with unsafe-pickle, naming the global or opcode', () => {
  for (const [label, bytes, named] of hostile) {
    let thrown: unknown;
    try {
      restrictedUnpickle(bytes, 'evil.bin (data.pkl)');
    } catch (err) {
      thrown = err;
    }
    assert.ok(thrown instanceof CheckpointError, `${label}: not refused (${String(thrown)})`);
    assert.equal(thrown.code, 'unsafe-pickle', `${label}: ${thrown.message}`);
    for (const part of ['evil.bin', named, 'nothing from it was run'])
      assert.ok(thrown.message.includes(part), `${label}: "${thrown.message}" lacks "${part}"`);
  }
});

test('truncated pickles are refused with truncated; lengths past the end allocate nothing', () => {
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x02X\x00\xca\x9a\x3bab'), 't'), 'truncated', 't ends early');
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f'), 't'), 'truncated');
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x04\x95\x00\x00\x00\x00\x01\x00\x00\x00}.'), 't'), 'truncated');
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x02ccollections\nOrderedD'), 't'), 'truncated');
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x02}'), 't'), 'truncated');
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x02J\x01\x02'), 't'), 'truncated');
  throwsCheckpoint(() => restrictedUnpickle(new Uint8Array(0), 't'), 'truncated');
  // A state dict cut anywhere is truncated.
  const sd = stateDictPickle(
    [{ name: 'w', storage: '0', shape: [2] }],
    [{ key: '0', type: 'FloatStorage', numel: 2, data: new Uint8Array(8) }],
  );
  for (let cut = 0; cut < sd.length; cut++)
    throwsCheckpoint(() => restrictedUnpickle(sd.subarray(0, cut), 'cut'), 'truncated');
});

test('stack underflow, missing MARK and unknown memo slots are corrupt; protocol 6 is unsupported', () => {
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x02R.'), 'u'), 'corrupt', 'stack is empty');
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x020.'), 'u'), 'corrupt', 'stack is empty');
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x02.'), 'u'), 'corrupt', 'stack is empty');
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x02(s.'), 'u'), 'corrupt', 'stack is empty');
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x02K\x01t.'), 'u'), 'corrupt', 'MARK');
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x02h\x05.'), 'u'), 'corrupt', 'memo slot 5');
  throwsCheckpoint(
    () => restrictedUnpickle(ascii('\x80\x02K\x00K\x01K\x02s.'), 'u'),
    'corrupt',
    'SETITEM on the number 0',
  );
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x02}]K\x01s.'), 'u'), 'corrupt', 'hash');
  throwsCheckpoint(() => restrictedUnpickle(ascii('\x80\x06N.'), 'u'), 'unsupported-format', 'protocol 6');
  // _rebuild_tensor_v2 with a malformed size is corrupt, not a crash.
  throwsCheckpoint(
    () =>
      restrictedUnpickle(
        ascii(
          '\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x02tQK\x00X\x01\x00\x00\x00xK\x01\x85\x89}tR.',
        ),
        'u',
      ),
    'corrupt',
    'malformed size or stride',
  );
});
