// Encoder models behind the contract: the list the Models section shows, a manifest proposed from an ONNX
// graph or a timm checkpoint for the import form, the import itself (a checkpoint is converted in a worker
// first; either is checked by loading and running the model; the encoder in use never changes on failure),
// and the remembered choice of encoder (`<data dir>/encoder.json`).
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type {
  CheckpointPreview,
  CheckpointWeights,
  ModelImportProgress,
  ModelList,
  ModelManifestDraft,
  ModelSummary,
} from '../contracts/analysis.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import { inspectCheckpoint, isCheckpointPath } from '../encoder/checkpoint/checkpoint-import.js';
import { CheckpointError, type CheckpointErrorCode } from '../encoder/checkpoint/checkpoint-tensors.js';
import { importCheckpointInWorker } from '../encoder/checkpoint/import-in-worker.js';
import { modelPresets } from '../encoder/checkpoint/model-presets.js';
import { defaultEncoderId } from '../encoder/default-encoder-model.js';
import type { EmbeddingService } from '../encoder/embedding-service.js';
import { importModel, proposeManifest, type ManifestOverrides } from '../encoder/model-import.js';
import { isModelError, type ModelErrorCode } from '../encoder/model-errors.js';
import type { ModelManifest } from '../encoder/model-manifest.js';
import type { ModelEntry } from '../encoder/model-registry.js';
import { ApiError } from './api-error.js';

const STATUS: Record<ModelErrorCode, number> = {
  'not-found': 404,
  'manifest-invalid': 422,
  'checksum-mismatch': 422,
  'onnx-invalid': 422,
  'graph-mismatch': 422,
  'already-exists': 409,
  'inference-failed': 422,
};

const CHECKPOINT_STATUS: Record<CheckpointErrorCode, number> = {
  'not-found': 404,
  'unsupported-format': 415,
  truncated: 422,
  corrupt: 422,
  'unsafe-pickle': 422,
  'unknown-tensor': 422,
  'unsupported-dtype': 415,
};

/** A ModelError or CheckpointError (or anything else) as an ApiError whose message starts with what was being done. */
export function modelApiError(err: unknown, doing: string): ApiError {
  if (err instanceof ApiError) return err;
  if (isModelError(err)) return new ApiError(err.code, `${doing}: ${err.message}`, STATUS[err.code] ?? 422);
  if (err instanceof CheckpointError)
    return new ApiError(err.code, `${doing}: ${err.message}`, CHECKPOINT_STATUS[err.code] ?? 422);
  return new ApiError('model-failed', `${doing}: ${err instanceof Error ? err.message : String(err)}`, 500);
}

export function summariseModel(entry: ModelEntry, activeId: string): ModelSummary {
  const m = entry.manifest;
  return {
    id: m.id,
    name: m.name,
    description: m.description ?? '',
    baseline: m.baseline === true,
    origin: entry.origin,
    active: m.id === activeId,
    inputSize: m.input.size,
    dim: m.output.dim,
    magnifications: m.magnifications,
    licence: m.licence,
    sha256: m.sha256,
    dir: entry.dir,
    ...(m.checkpoint ? { checkpoint: m.checkpoint } : {}),
  };
}

export async function listModelSummaries(embeddings: EmbeddingService, activeId: string): Promise<ModelList> {
  const { models, problems } = await embeddings.listModels();
  return {
    models: models.map((e) => summariseModel(e, activeId)),
    activeId,
    problems: problems.map((p) => ({ dir: p.dir, message: p.error.message })),
  };
}

function toDraft(m: ModelManifest): ModelManifestDraft {
  return {
    id: m.id,
    name: m.name,
    ...(m.description ? { description: m.description } : {}),
    sha256: m.sha256,
    input: { ...m.input, mean: [...m.input.mean], std: [...m.input.std] },
    output: { ...m.output },
    magnifications: [...m.magnifications],
    licence: m.licence,
    ...(m.source ? { source: m.source } : {}),
  };
}

/** True when `path` is read as a timm checkpoint (a folder or a weights file), not as an ONNX graph. */
export async function isCheckpoint(path: string): Promise<boolean> {
  return extname(path).toLowerCase() !== '.onnx' && (await isCheckpointPath(path));
}

export async function proposeModelDraft(path: string): Promise<ModelManifestDraft> {
  try {
    if (await isCheckpoint(path)) return (await inspectCheckpoint(path)).manifest;
    return toDraft(await proposeManifest(path));
  } catch (err) {
    throw modelApiError(err, `Could not read ${path} as a model`);
  }
}

/** The choices a checkpoint import takes besides the manifest: a known model, the stored precision. */
export interface CheckpointChoice {
  preset?: string;
  weights?: CheckpointWeights;
}

export function checkCheckpointChoice(params: { preset?: unknown; weights?: unknown }): CheckpointChoice {
  const out: CheckpointChoice = {};
  if (params.preset !== undefined && params.preset !== null && params.preset !== '') {
    if (typeof params.preset !== 'string' || !modelPresets.some((p) => p.id === String(params.preset).toLowerCase()))
      throw new ApiError(
        'invalid-argument',
        `Parameter "preset" must be a known model id (got ${JSON.stringify(params.preset)})`,
      );
    out.preset = params.preset;
  }
  if (params.weights !== undefined && params.weights !== null) {
    if (params.weights !== 'float32' && params.weights !== 'float16')
      throw new ApiError('invalid-argument', 'Parameter "weights" must be "float32" or "float16"');
    out.weights = params.weights;
  }
  return out;
}

export async function inspectModelCheckpoint(path: string, choice: CheckpointChoice): Promise<CheckpointPreview> {
  const doing = `Could not read ${path} as a checkpoint`;
  if (!(await isCheckpoint(path)))
    throw new ApiError(
      'unsupported-format',
      `${doing}: give a Hugging Face snapshot folder or a .safetensors, .bin, .pth or .pt file that exists`,
      415,
    );
  try {
    return await inspectCheckpoint(path, choice);
  } catch (err) {
    throw modelApiError(err, doing);
  }
}

/** Only the manifest fields a user may set (the checksum and file name are Tessera's; `baseline` is not theirs). */
function overridesOf(draft: unknown): ManifestOverrides {
  if (draft === null || typeof draft !== 'object' || Array.isArray(draft))
    throw new ApiError('invalid-argument', 'Parameter "manifest" must be an object (the proposed manifest, edited)');
  const d = draft as Record<string, unknown>;
  const pick = (o: unknown, keys: string[]): Record<string, unknown> | undefined => {
    if (o === null || typeof o !== 'object') return undefined;
    return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, (o as Record<string, unknown>)[k]]));
  };
  const out: Record<string, unknown> = pick(d, ['id', 'name', 'description', 'magnifications', 'licence', 'source'])!;
  if (typeof out.id === 'string') out.id = out.id.trim();
  if (typeof out.name === 'string') out.name = out.name.trim();
  if (out.description === '') delete out.description;
  const input = pick(d.input, ['name', 'size', 'channelOrder', 'scale', 'mean', 'std']);
  const output = pick(d.output, ['name', 'dim']);
  if (input) out.input = input;
  if (output) out.output = output;
  return out as ManifestOverrides;
}

export interface ImportModelOptions extends CheckpointChoice {
  replace: boolean;
  /** The encoder in use (it cannot be replaced). */
  activeId: string;
  /** Checkpoint conversions: progress from the worker. */
  onProgress?: (p: ModelImportProgress) => void;
  /** Stops a checkpoint conversion (its staging folder is removed). */
  signal?: AbortSignal;
}

/** Imports an ONNX file, or converts and imports a timm checkpoint in a worker, with the form's fields. */
export async function importModelFile(
  embeddings: EmbeddingService,
  path: string,
  draft: unknown,
  options: ImportModelOptions,
): Promise<ModelSummary> {
  const { replace, activeId } = options;
  const overrides = overridesOf(draft);
  const doing = `Could not import ${path}`;
  if (overrides.id === defaultEncoderId)
    throw new ApiError(
      'already-exists',
      `${doing}: "${defaultEncoderId}" is the built-in baseline's id; choose another`,
      409,
    );
  const { models } = await embeddings.listModels();
  const clash = models.find((m) => m.manifest.id === overrides.id && m.origin !== 'user');
  if (clash)
    throw new ApiError(
      'already-exists',
      `${doing}: a ${clash.origin} model already has the id "${clash.manifest.id}"; choose another`,
      409,
    );
  if (replace && overrides.id === activeId)
    throw new ApiError(
      'busy',
      `${doing}: "${activeId}" is the encoder in use; switch to another before replacing it`,
      409,
    );
  try {
    const modelsDir = embeddings.userModelsDir;
    const entry = (await isCheckpoint(path))
      ? await importCheckpointInWorker(
          path,
          {
            overrides,
            modelsDir,
            replace,
            preset: options.preset,
            weights: options.weights,
            onProgress: options.onProgress,
          },
          options.signal,
        )
      : await importModel(path, overrides, { modelsDir, replace });
    return summariseModel(entry, activeId);
  } catch (err) {
    throw modelApiError(err, doing);
  }
}

/** The encoder the user chose last (`<data dir>/encoder.json`), or undefined. */
export async function readEncoderChoice(dataDir: string): Promise<string | undefined> {
  try {
    const v = JSON.parse(await readFile(join(dataDir, 'encoder.json'), 'utf8')) as { modelId?: unknown };
    return typeof v.modelId === 'string' && v.modelId ? v.modelId : undefined;
  } catch {
    return undefined;
  }
}

export async function saveEncoderChoice(dataDir: string, modelId: string): Promise<void> {
  await writeFileAtomic(join(dataDir, 'encoder.json'), JSON.stringify({ modelId }, null, 2) + '\n');
}
