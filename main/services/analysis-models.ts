// Encoder models behind the contract: the list the Models section shows, a manifest proposed from an ONNX
// graph for the import form, the import itself (checked by loading and running the model; the encoder in
// use never changes on failure), and the remembered choice of encoder (`<data dir>/encoder.json`).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelList, ModelManifestDraft, ModelSummary } from '../contracts/analysis.js';
import { writeFileAtomic } from '../common/atomic-write.js';
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

/** A ModelError (or anything else) as an ApiError whose message starts with what was being done. */
export function modelApiError(err: unknown, doing: string): ApiError {
  if (err instanceof ApiError) return err;
  if (isModelError(err)) return new ApiError(err.code, `${doing}: ${err.message}`, STATUS[err.code] ?? 422);
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

export async function proposeModelDraft(path: string): Promise<ModelManifestDraft> {
  try {
    return toDraft(await proposeManifest(path));
  } catch (err) {
    throw modelApiError(err, `Could not read ${path} as a model`);
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

export async function importModelFile(
  embeddings: EmbeddingService,
  path: string,
  draft: unknown,
  replace: boolean,
  activeId: string,
): Promise<ModelSummary> {
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
    const entry = await importModel(path, overrides, { modelsDir: embeddings.userModelsDir, replace });
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
