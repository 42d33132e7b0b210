// Does an ONNX graph match its manifest? Checked on onnxruntime's input/output metadata, then on a real output.
import type { InferenceSession } from 'onnxruntime-node';
import { ModelError } from './model-errors.js';
import type { ModelManifest } from './model-manifest.js';

type Meta = readonly InferenceSession.ValueMetadata[];

const dimOk = (d: number | string | undefined, want: number) => typeof d !== 'number' || d < 0 || d === want;

export function checkGraphAgainstManifest(inputs: Meta, outputs: Meta, m: ModelManifest): void {
  const where = `model ${m.id}`;
  const input = inputs.find((v) => v.name === m.input.name);
  if (!input) {
    throw new ModelError('graph-mismatch', `${where}: the graph has no input "${m.input.name}" (it has ${inputs.map((v) => `"${v.name}"`).join(', ')})`);
  }
  if (input.isTensor) {
    if (input.type !== 'float32') throw new ModelError('graph-mismatch', `${where}: input "${input.name}" is ${input.type}, expected float32`);
    const s = input.shape;
    if (s.length !== 4 || !dimOk(s[1], 3) || !dimOk(s[2], m.input.size) || !dimOk(s[3], m.input.size)) {
      throw new ModelError(
        'graph-mismatch',
        `${where}: input "${input.name}" has shape [${s.join(', ')}], the manifest says [batch, 3, ${m.input.size}, ${m.input.size}]`,
      );
    }
  }
  const output = outputs.find((v) => v.name === m.output.name);
  if (!output) {
    throw new ModelError('graph-mismatch', `${where}: the graph has no output "${m.output.name}" (it has ${outputs.map((v) => `"${v.name}"`).join(', ')})`);
  }
  if (output.isTensor) {
    const s = output.shape;
    if (s.length !== 2 || !dimOk(s[1], m.output.dim)) {
      throw new ModelError('graph-mismatch', `${where}: output "${output.name}" has shape [${s.join(', ')}], the manifest says [batch, ${m.output.dim}]`);
    }
  }
}

/** After a test inference on a batch of `n`: the output really is [n, dim]. */
export function checkOutputDims(dims: readonly number[], n: number, m: ModelManifest): void {
  if (dims.length !== 2 || dims[0] !== n || dims[1] !== m.output.dim) {
    throw new ModelError(
      'graph-mismatch',
      `model ${m.id}: a test inference gave "${m.output.name}" of shape [${dims.join(', ')}], expected [${n}, ${m.output.dim}]`,
    );
  }
}
