// Reads Hugging Face `.safetensors` files: an 8-byte little-endian header length, a JSON header
// ({name: {dtype, shape, data_offsets: [begin, end]}}, offsets relative to the end of the header), then the
// raw tensors. Only the header is read at open; each tensor is read from disk when asked for.
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { NotRegularFileError, openRegularFile } from '../../common/regular-file.js';
import {
  CheckpointError,
  dtypeBytes,
  elementCount,
  widenToFloat32,
  type CheckpointDtype,
  type CheckpointTensorInfo,
  type CheckpointTensors,
} from './checkpoint-tensors.js';

const dtypes: Record<string, CheckpointDtype> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64' };
/** Integer dtypes a checkpoint may carry beside its weights (step counters); listed nowhere, never fatal. */
const ignoredDtypes = new Set(['I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'U16', 'U32', 'U64']);
/** A header is a few KB per hundred tensors; anything near this is not a safetensors file. */
const MAX_HEADER = 100 * 1024 * 1024;

interface Entry extends CheckpointTensorInfo {
  begin: number;
  end: number;
}

export async function openSafetensors(path: string): Promise<CheckpointTensors> {
  let handle: FileHandle;
  let stat: Stats;
  try {
    ({ handle, stats: stat } = await openRegularFile(path));
  } catch (err) {
    if (err instanceof NotRegularFileError) throw new CheckpointError('unsupported-format', `${err.message}, not a checkpoint file`);
    throw new CheckpointError('not-found', `cannot open ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const head = Buffer.alloc(8);
    await handle.read(head, 0, 8, 0);
    const headerLength = Number(head.readBigUInt64LE(0));
    if (stat.size < 8 || headerLength < 2 || headerLength > MAX_HEADER) {
      throw new CheckpointError('unsupported-format', `${path} is not a safetensors file (header length ${headerLength})`);
    }
    if (8 + headerLength > stat.size) throw new CheckpointError('truncated', `${path} is truncated: its header runs past the end of the file`);
    const headerBytes = Buffer.alloc(headerLength);
    await handle.read(headerBytes, 0, headerLength, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(headerBytes.toString('utf8').trimEnd());
    } catch {
      throw new CheckpointError('unsupported-format', `${path} is not a safetensors file (its header is not JSON)`);
    }
    if (typeof header !== 'object' || header === null || Array.isArray(header)) {
      throw new CheckpointError('unsupported-format', `${path}: safetensors header is not a JSON object`);
    }
    const dataStart = 8 + headerLength;
    const dataLength = stat.size - dataStart;
    const entries: Entry[] = [];
    for (const [name, raw] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      const bad = (what: string): never => {
        throw new CheckpointError('corrupt', `${path}: tensor "${name}": ${what}`);
      };
      if (typeof r !== 'object' || r === null) bad('not an object in the header');
      if (typeof r.dtype !== 'string') bad('no dtype');
      const shape = r.shape;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) bad('shape is not a list of sizes');
      const offsets = r.data_offsets;
      if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) bad('data_offsets is not [begin, end]');
      const [begin, end] = offsets as [number, number];
      if (begin > end) bad('data_offsets run backwards');
      if (end > dataLength) throw new CheckpointError('truncated', `${path} is truncated: tensor "${name}" ends past the end of the file`);
      if (ignoredDtypes.has(r.dtype as string)) continue;
      const dtype = dtypes[r.dtype as string];
      if (!dtype) throw new CheckpointError('unsupported-dtype', `${path}: tensor "${name}" has dtype ${String(r.dtype)}; Tessera reads F32, F16, BF16 and F64 weights`);
      if ((end - begin) !== elementCount(shape as number[]) * dtypeBytes[dtype]) bad(`${end - begin} bytes do not hold shape [${(shape as number[]).join(', ')}] of ${r.dtype}`);
      entries.push({ name, dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end });
    }
    entries.sort((a, b) => a.begin - b.begin);
    const byName = new Map(entries.map((e) => [e.name, e]));
    return {
      path,
      tensors: entries.map(({ name, dtype, shape }) => ({ name, dtype, shape })),
      async readFloat32(name: string): Promise<Float32Array> {
        const e = byName.get(name);
        if (!e) throw new CheckpointError('unknown-tensor', `${path} has no tensor "${name}"`);
        const bytes = Buffer.allocUnsafe(e.end - e.begin);
        const { bytesRead } = await handle.read(bytes, 0, bytes.length, e.begin);
        if (bytesRead !== bytes.length) throw new CheckpointError('truncated', `${path} is truncated inside tensor "${name}"`);
        return widenToFloat32(bytes, e.dtype, elementCount(e.shape));
      },
      close: () => handle.close(),
    };
  } catch (err) {
    await handle.close().catch(() => {});
    throw err;
  }
}
