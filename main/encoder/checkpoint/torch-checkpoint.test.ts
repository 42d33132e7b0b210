import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError, type CheckpointErrorCode } from './checkpoint-tensors.js';
import { openTorchCheckpoint } from './torch-checkpoint.js';
import { TorchZip } from './torch-zip.js';
import {
  PickleWriter,
  f32,
  f64,
  i64,
  stateDictPickle,
  torchCheckpointZip,
  u16,
  writeStateDict,
  type CheckpointFixture,
  type FixtureStorage,
  type FixtureTensor,
} from './testing/torch-fixtures.js';
import { buildZip } from './testing/stored-zip.js';
import { tempDir } from '../testing/temp-dir.js';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';

const dir = tempDir('torch-checkpoint');
let fileCount = 0;
const writeTemp = (bytes: Uint8Array, name = 'model.bin'): string => {
  const path = join(dir, `${fileCount++}-${name}`);
  writeFileSync(path, bytes);
  return path;
};
const fixture = (f: CheckpointFixture): string => writeTemp(torchCheckpointZip(f));

async function rejectsWith(promise: Promise<unknown>, code: CheckpointErrorCode, ...parts: string[]): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof CheckpointError, `not a CheckpointError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    for (const p of parts) assert.ok(err.message.includes(p), `"${err.message}" lacks "${p}"`);
    return true;
  });
}

/** Where each record's data begins in an archive (local header: 30 bytes + name + extra). */
async function dataOffsets(path: string): Promise<Map<string, { start: number; size: number }>> {
  const buf = readFileSync(path);
  const zip = await TorchZip.open(path);
  await zip.close();
  const out = new Map<string, { start: number; size: number }>();
  for (const e of zip.entries.values()) {
    const at = e.localHeaderOffset;
    out.set(e.name, { start: at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28), size: e.size });
  }
  return out;
}

/** Parses a .safetensors file directly: u64 header length, JSON header, then the data. */
function readSafetensors(path: string): Map<string, { shape: number[]; bytes: Buffer }> {
  const buf = readFileSync(path);
  const headerLength = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const out = new Map<string, { shape: number[]; bytes: Buffer }>();
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    assert.equal(t.dtype, 'F32', name);
    const [begin, end] = t.data_offsets;
    out.set(name, { shape: t.shape, bytes: buf.subarray(8 + headerLength + begin, 8 + headerLength + end) });
  }
  return out;
}

const models = ['timm-vit-s16', 'timm-vit-l16-layerscale', 'timm-vit-h14-swiglu-reg8'];
const realBin = (model: string): string => shared('models', 'checkpoints', model, 'pytorch_model.bin');

test('real torch.save checkpoints read exactly like their model.safetensors', { skip: skipWithoutShared }, async () => {
  for (const model of models) {
    const expected = readSafetensors(shared('models', 'checkpoints', model, 'model.safetensors'));
    const ckpt = await openTorchCheckpoint(realBin(model));
    try {
      assert.equal(ckpt.stateDictKey, null);
      assert.deepEqual(ckpt.skipped, []);
      assert.deepEqual(ckpt.tensors.map((t) => t.name).sort(), [...expected.keys()].sort(), model);
      for (const info of ckpt.tensors) {
        const want = expected.get(info.name)!;
        assert.equal(info.dtype, 'float32');
        assert.deepEqual(info.shape, want.shape, `${model} ${info.name}`);
        const values = await ckpt.readFloat32(info.name);
        assert.ok(
          Buffer.from(values.buffer, values.byteOffset, values.byteLength).equals(want.bytes),
          `${model} ${info.name}`,
        );
      }
      // Reading again (CRC already verified) and concurrently gives the same values.
      const again = await Promise.all(ckpt.tensors.map((t) => ckpt.readFloat32(t.name)));
      for (const [i, info] of ckpt.tensors.entries())
        assert.ok(Buffer.from(again[i].buffer).equals(expected.get(info.name)!.bytes));
    } finally {
      await ckpt.close();
    }
  }
});

test('a real checkpoint cut in the middle is truncated', { skip: skipWithoutShared }, async () => {
  const bytes = readFileSync(realBin('timm-vit-s16'));
  const path = writeTemp(bytes.subarray(0, bytes.length >> 1));
  await rejectsWith(openTorchCheckpoint(path), 'truncated', path, 'truncated', 'Download the file again');
});

test('a flipped byte inside a real storage fails its CRC, naming the tensor', { skip: skipWithoutShared }, async () => {
  const original = realBin('timm-vit-s16');
  const bytes = Buffer.from(readFileSync(original));
  for (const [name, { start, size }] of await dataOffsets(original))
    if (/\/data\/\d+$/.test(name)) bytes[start + (size >> 1)] ^= 0x10;
  const path = writeTemp(bytes);
  const ckpt = await openTorchCheckpoint(path);
  try {
    for (const { name } of ckpt.tensors)
      await rejectsWith(ckpt.readFloat32(name), 'corrupt', path, `tensor '${name}'`, 'checksum');
  } finally {
    await ckpt.close();
  }
});

// Synthetic checkpoints, laid out as torch.save does.
const bf16 = (values: number[]): number[] =>
  values.map((v) => new Uint32Array(Float32Array.from([v]).buffer)[0] >>> 16);
const dtypeStorages: FixtureStorage[] = [
  { key: '0', type: 'FloatStorage', numel: 3, data: f32([1.5, -2, 3.25]) },
  { key: '1', type: 'HalfStorage', numel: 5, data: u16([0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001]) },
  { key: '2', type: 'BFloat16Storage', numel: 4, data: u16(bf16([1, -2, 0.5, 3.140625])) },
  { key: '3', type: 'DoubleStorage', numel: 3, data: f64([0.1, 1e300, -3]) },
  { key: '4', type: 'LongStorage', numel: 1, data: i64([7]) },
];
const dtypeTensors: FixtureTensor[] = [
  { name: 'f32', storage: '0', shape: [3] },
  { name: 'f16', storage: '1', shape: [5] },
  { name: 'bn.num_batches_tracked', storage: '4', shape: [] },
  { name: 'bf16', storage: '2', shape: [2, 2] },
  { name: 'f64', storage: '3', shape: [3, 1] },
];

test('float32, float16, bfloat16 and float64 tensors are widened to float32; integer tensors are skipped', async () => {
  const ckpt = await openTorchCheckpoint(fixture({ storages: dtypeStorages, tensors: dtypeTensors }));
  try {
    assert.deepEqual(ckpt.tensors, [
      { name: 'f32', dtype: 'float32', shape: [3] },
      { name: 'f16', dtype: 'float16', shape: [5] },
      { name: 'bf16', dtype: 'bfloat16', shape: [2, 2] },
      { name: 'f64', dtype: 'float64', shape: [3, 1] },
    ]);
    assert.deepEqual(ckpt.skipped, [{ name: 'bn.num_batches_tracked', dtype: 'int64', shape: [] }]);
    assert.deepEqual([...(await ckpt.readFloat32('f32'))], [1.5, -2, 3.25]);
    assert.deepEqual([...(await ckpt.readFloat32('f16'))], [1, -2, 0.5, 65504, 2 ** -24]);
    assert.deepEqual([...(await ckpt.readFloat32('bf16'))], [1, -2, 0.5, 3.140625]);
    assert.deepEqual([...(await ckpt.readFloat32('f64'))], [Math.fround(0.1), Infinity, -3]);
    await rejectsWith(ckpt.readFloat32('bn.num_batches_tracked'), 'unsupported-dtype', 'int64');
    await rejectsWith(ckpt.readFloat32('nope'), 'unknown-tensor', "'nope'");
  } finally {
    await ckpt.close();
  }
  await assert.rejects(ckpt.readFloat32('f32'), /closed/);
});

const iota = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const viewStorages: FixtureStorage[] = [{ key: '0', type: 'FloatStorage', numel: 12, data: f32(iota(12)) }];
const viewTensors: FixtureTensor[] = [
  { name: 'm', storage: '0', shape: [3, 4] },
  { name: 'mt', storage: '0', shape: [4, 3], stride: [1, 4] },
  { name: 'slice', storage: '0', shape: [3], offset: 5 },
  { name: 'col', storage: '0', shape: [3], stride: [4], offset: 1 },
  { name: 'expanded', storage: '0', shape: [2, 3], stride: [0, 1], offset: 2 },
  { name: 'unit-dims', storage: '0', shape: [1, 2, 1], stride: [99, 1, 7], offset: 10 },
  { name: 'empty', storage: '0', shape: [0, 4] },
  { name: 'scalar', storage: '0', shape: [], offset: 11 },
];

test('views into a shared storage: offsets, transposes, strides, broadcasts, empty and scalar tensors', async () => {
  const ckpt = await openTorchCheckpoint(fixture({ storages: viewStorages, tensors: viewTensors }));
  try {
    const read = async (name: string): Promise<number[]> => [...(await ckpt.readFloat32(name))];
    assert.deepEqual(await read('m'), iota(12));
    assert.deepEqual(await read('mt'), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    assert.deepEqual(await read('slice'), [5, 6, 7]);
    assert.deepEqual(await read('col'), [1, 5, 9]);
    assert.deepEqual(await read('expanded'), [2, 3, 4, 2, 3, 4]);
    assert.deepEqual(await read('unit-dims'), [10, 11]);
    assert.deepEqual(await read('empty'), []);
    assert.deepEqual(await read('scalar'), [11]);
  } finally {
    await ckpt.close();
  }
});

test('a flipped byte anywhere in a storage is caught even when the tensor read covers only part of it', async () => {
  const path = fixture({ storages: viewStorages, tensors: viewTensors });
  const bytes = Buffer.from(readFileSync(path));
  const { start } = (await dataOffsets(path)).get('archive/data/0')!;
  bytes[start + 11 * 4 + 1] ^= 0x01; // inside element 11, outside 'slice' (elements 5..7)
  const damaged = writeTemp(bytes);
  const ckpt = await openTorchCheckpoint(damaged);
  try {
    await rejectsWith(
      ckpt.readFloat32('slice'),
      'corrupt',
      damaged,
      "tensor 'slice'",
      'archive/data/0',
      'Download the file again',
    );
  } finally {
    await ckpt.close();
  }
});

test('zip64 archives and archives without data alignment read the same', async () => {
  for (const zip of [{ zip64: true }, { align: 0 }, { zip64: true, align: 4096 }]) {
    const ckpt = await openTorchCheckpoint(
      fixture({ storages: viewStorages, tensors: viewTensors, zip, prefix: 'pytorch_model' }),
    );
    try {
      assert.deepEqual(
        [...(await ckpt.readFloat32('mt'))],
        [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11],
        JSON.stringify(zip),
      );
    } finally {
      await ckpt.close();
    }
  }
});

/** data.pkl of `{extra..., key: state dict}` (a training checkpoint). */
function wrapped(entries: [string, FixtureTensor[] | number][], storages: FixtureStorage[]): Uint8Array {
  const w = new PickleWriter().proto(2).op('}(');
  for (const [key, value] of entries) {
    w.str(key);
    if (typeof value === 'number') w.int(value);
    else writeStateDict(w, value, storages);
  }
  return w.op('u.').bytes();
}

test("state dicts under 'state_dict', 'model' or 'teacher' are found and reported", async () => {
  const storages = viewStorages;
  const sd: FixtureTensor[] = [{ name: 'm', storage: '0', shape: [3, 4] }];
  const student: FixtureTensor[] = [{ name: 'student.m', storage: '0', shape: [12] }];
  for (const [entries, key] of [
    [
      [
        ['epoch', 3],
        ['state_dict', sd],
      ],
      'state_dict',
    ],
    [
      [
        ['model', sd],
        ['step', 100],
      ],
      'model',
    ],
    [
      [
        ['student', student],
        ['teacher', sd],
        ['epoch', 100],
      ],
      'teacher',
    ],
  ] as [[string, FixtureTensor[] | number][], string][]) {
    const ckpt = await openTorchCheckpoint(fixture({ storages, pickle: wrapped(entries, storages) }));
    try {
      assert.equal(ckpt.stateDictKey, key);
      assert.ok(ckpt.note?.includes(`'${key}'`), ckpt.note);
      assert.deepEqual(
        ckpt.tensors.map((t) => t.name),
        ['m'],
      );
      assert.deepEqual([...(await ckpt.readFloat32('m'))], iota(12));
    } finally {
      await ckpt.close();
    }
  }
  const noStateDict = fixture({
    storages,
    pickle: wrapped(
      [
        ['optimizer', 1],
        ['student', student],
      ],
      storages,
    ),
  });
  await rejectsWith(openTorchCheckpoint(noStateDict), 'unsupported-format', noStateDict, "'optimizer', 'student'");
  const justTensor = new PickleWriter().proto(2);
  const w = justTensor;
  w.global('torch._utils', '_rebuild_tensor_v2');
  w.op('((').str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(12).op('t').op('Q');
  w.int(0).intTuple([12]).intTuple([1]).raw(0x89).op('}tR.');
  await rejectsWith(
    openTorchCheckpoint(fixture({ storages, pickle: w.bytes() })),
    'unsupported-format',
    'single tensor',
  );
});

test('hostile pickles inside a checkpoint archive are refused, naming the file and the global', async () => {
  const storages = viewStorages;
  const cases: [Uint8Array, string][] = [
    [Uint8Array.from(Buffer.from('\x80\x02cos\nsystem\nX\x04\x00\x00\x00echo\x85R.', 'latin1')), "'os.system'"],
    [Uint8Array.from(Buffer.from('\x80\x02cbuiltins\neval\nX\x01\x00\x00\x001\x85R.', 'latin1')), "'builtins.eval'"],
  ];
  // A state dict whose last value is an eval call.
  const w = new PickleWriter().proto(2);
  w.global('collections', 'OrderedDict').op(')R(').str('ok');
  w.global('torch._utils', '_rebuild_tensor_v2');
  w.op('((').str('storage').global('torch', 'FloatStorage').str('0').str('cpu').int(12).op('t').op('Q');
  w.int(0).intTuple([12]).intTuple([1]).raw(0x89).op('}tR');
  w.str('evil').global('builtins', 'eval').str('1').raw(0x85).op('Ru.');
  cases.push([w.bytes(), "'builtins.eval'"]);
  for (const [pickle, named] of cases) {
    const path = fixture({ storages, pickle });
    await rejectsWith(openTorchCheckpoint(path), 'unsafe-pickle', path, 'data.pkl', named);
  }
});

test('damaged or unusual archives: missing storage, short storage, out-of-range view, compression, byte order', async () => {
  const one: FixtureStorage[] = [{ key: '0', type: 'FloatStorage', numel: 4, data: f32([1, 2, 3, 4]) }];
  const t: FixtureTensor[] = [{ name: 'w', storage: '0', shape: [4] }];

  const missing = fixture({
    storages: one,
    pickle: stateDictPickle([{ name: 'w', storage: '9', shape: [4] }], [{ ...one[0], key: '9' }]),
  });
  await rejectsWith(openTorchCheckpoint(missing), 'corrupt', "tensor 'w'", 'data/9');

  const short = fixture({ storages: [{ ...one[0], data: f32([1, 2]) }], tensors: t });
  await rejectsWith(openTorchCheckpoint(short), 'corrupt', "tensor 'w'", '8 bytes', '16 bytes');

  const past = fixture({ storages: one, tensors: [{ name: 'w', storage: '0', shape: [2, 2], offset: 1 }] });
  await rejectsWith(openTorchCheckpoint(past), 'corrupt', "tensor 'w'", 'reaches element 4');

  const deflated = fixture({ storages: one, tensors: t, deflateStorages: true });
  await rejectsWith(openTorchCheckpoint(deflated), 'unsupported-format', 'compressed', 're-zipped');

  const big = fixture({ storages: one, tensors: t, byteorder: 'big' });
  await rejectsWith(openTorchCheckpoint(big), 'unsupported-format', 'big-endian');

  const little = await openTorchCheckpoint(fixture({ storages: one, tensors: t, byteorder: 'little' }));
  assert.deepEqual([...(await little.readFloat32('w'))], [1, 2, 3, 4]);
  await little.close();

  // A re-zipped archive whose data.pkl is deflated still opens when the storages are stored.
  const pkl = stateDictPickle(t, one);
  const rezipped = writeTemp(
    buildZip([
      { name: 'archive/data.pkl', data: pkl, deflate: true },
      { name: 'archive/data/0', data: one[0].data },
    ]),
  );
  const ckpt = await openTorchCheckpoint(rezipped);
  assert.deepEqual([...(await ckpt.readFloat32('w'))], [1, 2, 3, 4]);
  await ckpt.close();

  const torchScript = fixture({
    storages: one,
    tensors: t,
    extra: [{ name: 'archive/constants.pkl', data: new Uint8Array([0x80, 0x02, 0x29, 0x2e]) }],
  });
  await rejectsWith(openTorchCheckpoint(torchScript), 'unsupported-format', 'TorchScript');

  const noPickle = writeTemp(buildZip([{ name: 'readme.txt', data: new Uint8Array([0x68, 0x69]) }]));
  await rejectsWith(openTorchCheckpoint(noPickle), 'unsupported-format', 'no <folder>/data.pkl');
});

test('truncated, legacy, non-zip, empty and missing files get their own errors', async () => {
  const whole = torchCheckpointZip({ storages: viewStorages, tensors: viewTensors });
  for (const cut of [whole.length >> 1, whole.length - 10, 100]) {
    const path = writeTemp(whole.subarray(0, cut));
    await rejectsWith(openTorchCheckpoint(path), 'truncated', path, 'truncated');
  }

  // torch.save(..., _use_new_zipfile_serialization=False): the pickled magic number, then protocol version…
  const legacy = writeTemp(
    Uint8Array.from([
      0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e, 0x80, 0x02, 0x4d, 0xe9,
      0x03, 0x2e,
    ]),
  );
  await rejectsWith(openTorchCheckpoint(legacy), 'unsupported-format', legacy, 'legacy', '1.6', 'model.safetensors');

  const text = writeTemp(new TextEncoder().encode('{"not": "a checkpoint"}'));
  await rejectsWith(openTorchCheckpoint(text), 'unsupported-format', text, 'not a PyTorch checkpoint (zip) file');

  const empty = writeTemp(new Uint8Array(0));
  await rejectsWith(openTorchCheckpoint(empty), 'truncated', 'empty');

  await rejectsWith(openTorchCheckpoint(join(dir, 'absent.bin')), 'not-found', 'absent.bin');
  await rejectsWith(openTorchCheckpoint(dir), 'unsupported-format', 'is a folder, not a checkpoint file');
});
