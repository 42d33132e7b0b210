// One interface over the weight files researchers download (safetensors, PyTorch's torch.save zip): the
// tensors' names, dtypes and shapes up front, and each tensor's values read on demand, one at a time, so a
// multi-gigabyte checkpoint is streamed rather than held. Readers: safetensors-file.ts, torch-checkpoint.ts.

/** Element types found in pathology checkpoints; all are widened to float32 on read. */
export type CheckpointDtype = 'float32' | 'float16' | 'bfloat16' | 'float64';

export interface CheckpointTensorInfo {
  name: string;
  dtype: CheckpointDtype;
  shape: number[];
}

export interface CheckpointTensors {
  /** The file it came from (for messages). */
  readonly path: string;
  /** Every tensor, in file order. */
  readonly tensors: readonly CheckpointTensorInfo[];
  /** The values of one tensor, widened to float32, row-major (C order). Throws CheckpointError when the
   * file is truncated, damaged (checksum) or the name is unknown. */
  readFloat32(name: string): Promise<Float32Array>;
  close(): Promise<void>;
}

export type CheckpointErrorCode =
  | 'not-found'
  | 'unsupported-format'
  | 'truncated'
  | 'corrupt'
  | 'unsafe-pickle'
  | 'unknown-tensor'
  | 'unsupported-dtype';

/** A checkpoint that cannot be read, with a sentence a user can act on. */
export class CheckpointError extends Error {
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** Bytes per element of each dtype. */
export const dtypeBytes: Record<CheckpointDtype, number> = { float32: 4, float16: 2, bfloat16: 2, float64: 8 };

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Little-endian raw values of `dtype` → float32. `bytes` must hold exactly count × dtypeBytes. */
export function widenToFloat32(bytes: Uint8Array, dtype: CheckpointDtype, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'float32':
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    case 'bfloat16': {
      // bfloat16 is the top half of a float32.
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'float16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
  }
}

/** IEEE 754 binary16 → number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}
