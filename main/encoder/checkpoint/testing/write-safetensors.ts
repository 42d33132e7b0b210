// Writes .safetensors files for tests and benches: tensors streamed one at a time, as float32, float16 or
// bfloat16, so a multi-gigabyte random checkpoint never sits in memory.
import { open } from 'node:fs/promises';
import { floatToHalf } from '../../onnx/onnx-stream-writer.js';

export interface TensorToWrite {
  name: string;
  shape: number[];
  /** Values for this tensor (called once, when it is written). */
  values: () => Float32Array;
}

const codes = { float32: ['F32', 4], float16: ['F16', 2], bfloat16: ['BF16', 2] } as const;

export async function writeSafetensors(path: string, tensors: TensorToWrite[], dtype: keyof typeof codes = 'float32', metadata?: Record<string, string>): Promise<void> {
  const [code, size] = codes[dtype];
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * size;
    header[t.name] = { dtype: code, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const h = await open(path, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    await h.write(len);
    await h.write(Buffer.from(json));
    for (const t of tensors) {
      const v = t.values();
      const out = Buffer.alloc(v.length * size);
      if (dtype === 'float32') for (let i = 0; i < v.length; i++) out.writeFloatLE(v[i], i * 4);
      else if (dtype === 'float16') for (let i = 0; i < v.length; i++) out.writeUInt16LE(floatToHalf(v[i]), i * 2);
      else {
        // bfloat16 is the top half of a float32 (truncated).
        const u = new Uint32Array(Float32Array.from(v).buffer);
        for (let i = 0; i < v.length; i++) out.writeUInt16LE(u[i] >>> 16, i * 2);
      }
      await h.write(out);
    }
  } finally {
    await h.close();
  }
}
