// `tessera models import`: propose a manifest from an ONNX graph, apply the user's overrides, check the model
// really runs as described, and copy it into the user models folder.
import { copyFile, mkdir, readFile, rm, rename, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import ort from 'onnxruntime-node';
import { sha256File } from './file-checksum.js';
import { ModelError } from './model-errors.js';
import { checkGraphAgainstManifest, checkOutputDims } from './model-graph-check.js';
import { validateManifest, type ModelManifest } from './model-manifest.js';
import { userModelsDir } from './model-folders.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import { seededRandom } from '../common/seeded-random.js';
import type { ModelEntry } from './model-registry.js';

/** Fields of a manifest a user may supply; nested input/output are merged field by field. */
export type ManifestOverrides = Partial<Omit<ModelManifest, 'input' | 'output'>> & {
  input?: Partial<ModelManifest['input']>;
  output?: Partial<ModelManifest['output']>;
};

const imagenet = { mean: [0.485, 0.456, 0.406] as [number, number, number], std: [0.229, 0.224, 0.225] as [number, number, number] };

/** onnxruntime's load error without its C++ source location and signature, or the path it repeats. */
function ortReason(err: unknown, file: string): string {
  const first = String((err as Error)?.message ?? err).split('\n')[0];
  const reason = first
    .replace(`Load model from ${file} failed:`, '')
    .replace(/\S*\.(?:cc|cpp|h):\d+\s+(?:[\w:~<>,* &]+\([^)]*\)\s*)?/g, '')
    .trim();
  return reason || 'unreadable';
}

async function openForInspection(file: string): Promise<ort.InferenceSession> {
  const info = await stat(file).catch(() => null);
  if (!info) throw new ModelError('not-found', `no such file: ${file}`);
  if (info.isDirectory()) {
    throw new ModelError('onnx-invalid', `${file} is a folder: give the .onnx file, or the folder of a timm checkpoint (config.json + model.safetensors)`);
  }
  if (!info.isFile()) throw new ModelError('onnx-invalid', `${file} is not a regular file: give the .onnx file`);
  if (info.size === 0) throw new ModelError('onnx-invalid', `${file} is empty (0 bytes): not an ONNX model`);
  try {
    // A check, not a run for speed: no graph rewriting (constant folding would make a float32 copy of
    // float16 weights, and optimised copies of big initialisers), no memory arena — so checking a
    // multi-gigabyte model needs little more than its weights.
    return await ort.InferenceSession.create(file, {
      executionProviders: ['cpu'],
      logSeverityLevel: 3,
      graphOptimizationLevel: 'disabled',
      enableCpuMemArena: false,
    });
  } catch (err) {
    throw new ModelError('onnx-invalid', `${file} is not a model onnxruntime can load: ${ortReason(err, file)}`);
  }
}

/** A manifest guessed from the graph (first image-like input, first output), with `overrides` applied. */
export async function proposeManifest(file: string, overrides: ManifestOverrides = {}): Promise<ModelManifest> {
  const session = await openForInspection(file);
  try {
    const input = session.inputMetadata.find((v) => v.isTensor && v.shape.length === 4) ?? session.inputMetadata[0];
    const output = session.outputMetadata[0];
    const inShape = input?.isTensor ? input.shape : [];
    const size = typeof inShape[2] === 'number' && inShape[2] > 0 ? inShape[2] : 224;
    const outShape = output?.isTensor ? output.shape : [];
    let dim = typeof outShape[1] === 'number' && outShape[1] > 0 ? outShape[1] : 0;
    const inputName = overrides.input?.name ?? input?.name ?? 'input';
    const inputSize = overrides.input?.size ?? size;
    if (!dim) {
      // Symbolic output size: ask the graph.
      const out = await session.run({
        [inputName]: new ort.Tensor('float32', new Float32Array(3 * inputSize * inputSize), [1, 3, inputSize, inputSize]),
      });
      dim = out[overrides.output?.name ?? output.name].dims.at(-1) ?? 0;
    }
    const stem = basename(file).replace(/\.onnx$/i, '');
    const proposed = {
      id: stem.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'model',
      name: stem,
      file: 'model.onnx',
      magnifications: [0.5],
      licence: 'unknown',
      ...overrides,
      sha256: await sha256File(file),
      input: {
        name: inputName,
        size: inputSize,
        channelOrder: 'RGB',
        scale: 1 / 255,
        ...imagenet,
        ...overrides.input,
      },
      output: { name: output?.name ?? 'output', dim, ...overrides.output },
    };
    proposed.file = 'model.onnx';
    return validateManifest(proposed, `manifest for ${file}`);
  } finally {
    await session.release().catch(() => {});
  }
}

/** Two different patches of the model's input (a smooth ramp and seeded noise), already normalised. */
function testPatches(size: number): Float32Array {
  const per = 3 * size * size;
  const x = new Float32Array(2 * per);
  const random = seededRandom(7);
  for (let i = 0; i < per; i++) {
    x[i] = ((i % size) / size) * 2 - 1;
    x[per + i] = random() * 2 - 1;
  }
  return x;
}

/** Checks a model file against a manifest by loading it and running two different patches: the outputs must
 * have the manifest's width, be finite, and differ between the patches (a constant encoder is broken). */
export async function verifyModelFile(file: string, manifest: ModelManifest): Promise<void> {
  const actual = await sha256File(file);
  if (actual !== manifest.sha256) {
    throw new ModelError('checksum-mismatch', `${file} has SHA-256 ${actual}, the manifest says ${manifest.sha256}`);
  }
  const session = await openForInspection(file);
  try {
    checkGraphAgainstManifest(session.inputMetadata, session.outputMetadata, manifest);
    const s = manifest.input.size;
    let out;
    try {
      out = await session.run({ [manifest.input.name]: new ort.Tensor('float32', testPatches(s), [2, 3, s, s]) }, [manifest.output.name]);
    } catch (err) {
      throw new ModelError('graph-mismatch', `model ${manifest.id}: a test inference failed: ${String((err as Error).message).split('\n')[0]}`);
    }
    const y = out[manifest.output.name];
    checkOutputDims(y.dims, 2, manifest);
    const v = y.data as Float32Array;
    const d = manifest.output.dim;
    if (!v.every(Number.isFinite)) throw new ModelError('inference-failed', `model ${manifest.id}: its test embeddings hold NaN or infinite values; the model is broken`);
    // Equal up to float32 rounding: an output that moves by one ulp between very different patches is constant.
    let same = true;
    for (let i = 0; i < d && same; i++) same = Math.abs(v[i] - v[d + i]) <= 1e-6 * Math.max(Math.abs(v[i]), Math.abs(v[d + i]));
    if (same) throw new ModelError('inference-failed', `model ${manifest.id}: two different test patches gave the same embedding; the model ignores its input`);
  } finally {
    await session.release().catch(() => {});
  }
}

/**
 * Imports `file` into the user models folder as `<id>/model.onnx` + `manifest.json`. Refuses to replace a
 * different model with the same id unless `replace` is set.
 */
export async function importModel(
  file: string,
  overrides: ManifestOverrides = {},
  options: { modelsDir?: string; replace?: boolean } = {},
): Promise<ModelEntry> {
  const manifest = await proposeManifest(file, overrides);
  await verifyModelFile(file, manifest);
  const dir = join(options.modelsDir ?? userModelsDir(), manifest.id);
  const existing = await readFile(join(dir, 'manifest.json'), 'utf8').then(JSON.parse, () => null);
  if (existing && existing.sha256 !== manifest.sha256 && !options.replace) {
    throw new ModelError('already-exists', `a different model with id "${manifest.id}" is already imported (${dir}); choose another id or replace it`);
  }
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.model.onnx.${process.pid}.tmp`);
  try {
    await copyFile(file, tmp);
    await rename(tmp, join(dir, manifest.file));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { manifest, dir, onnxPath: join(dir, manifest.file), origin: 'user' };
}
