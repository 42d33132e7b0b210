// config.json of a Hugging Face timm snapshot: `architecture`, `model_args` (the VisionTransformer's
// keyword arguments), `pretrained_cfg` (mean, std, input_size) and pooling. Read defensively: a hub config
// is user data, so every field is checked for type and range before anything uses it.
import { readFile } from 'node:fs/promises';
import { CheckpointError } from './checkpoint-tensors.js';
import type { EmbeddingRule } from './vit-spec.js';

export interface TimmConfig {
  architecture?: string;
  /** model_args, values only of plain JSON types. */
  modelArgs: Record<string, unknown>;
  mean?: [number, number, number];
  std?: [number, number, number];
  /** pretrained_cfg.input_size[1] (square inputs only). */
  inputSize?: number;
  /** "token", "avg", "" … as timm's global_pool. */
  globalPool?: string;
  embeddingRule?: EmbeddingRule;
  /** The file it was read from, if any. */
  path?: string;
}

export const emptyTimmConfig = (): TimmConfig => ({ modelArgs: {} });

const triple = (v: unknown): v is [number, number, number] =>
  Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** Parses a config.json object; `where` names it in errors. */
export function parseTimmConfig(json: unknown, where: string): TimmConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new CheckpointError('unsupported-format', `${where}: not a JSON object`);
  }
  const c = json as Record<string, unknown>;
  const out: TimmConfig = { modelArgs: {}, path: where };
  if (typeof c.architecture === 'string') out.architecture = c.architecture;
  else if (typeof c.arch === 'string') out.architecture = c.arch;
  if (c.model_args !== undefined) {
    if (typeof c.model_args !== 'object' || c.model_args === null || Array.isArray(c.model_args)) {
      throw new CheckpointError('unsupported-format', `${where}: model_args is not an object`);
    }
    out.modelArgs = { ...(c.model_args as Record<string, unknown>) };
  }
  for (const key of ['embed_dim', 'depth', 'num_heads', 'patch_size', 'reg_tokens', 'img_size'] as const) {
    const v = out.modelArgs[key];
    if (v === undefined) continue;
    const ok = key === 'img_size' && Array.isArray(v) ? v.length === 2 && v[0] === v[1] && Number.isInteger(v[0]) : Number.isInteger(v) && (v as number) >= 0 && (v as number) < 1e6;
    if (!ok) throw new CheckpointError('unsupported-format', `${where}: model_args.${key} must be a whole number (got ${JSON.stringify(v)})`);
    if (Array.isArray(v)) out.modelArgs[key] = v[0];
  }
  const pc = c.pretrained_cfg;
  if (pc !== undefined && (typeof pc !== 'object' || pc === null)) throw new CheckpointError('unsupported-format', `${where}: pretrained_cfg is not an object`);
  const p = (pc ?? {}) as Record<string, unknown>;
  if (p.mean !== undefined) {
    if (!triple(p.mean)) throw new CheckpointError('unsupported-format', `${where}: pretrained_cfg.mean must be 3 numbers`);
    out.mean = p.mean;
  }
  if (p.std !== undefined) {
    if (!triple(p.std) || p.std.some((s) => s <= 0)) throw new CheckpointError('unsupported-format', `${where}: pretrained_cfg.std must be 3 positive numbers`);
    out.std = p.std;
  }
  const inputSize = p.input_size;
  if (inputSize !== undefined) {
    if (!Array.isArray(inputSize) || inputSize.length !== 3 || inputSize[0] !== 3 || inputSize[1] !== inputSize[2] || !Number.isInteger(inputSize[1]) || inputSize[1] < 8 || inputSize[1] > 4096) {
      throw new CheckpointError('unsupported-format', `${where}: pretrained_cfg.input_size must be [3, S, S] with 8 ≤ S ≤ 4096 (got ${JSON.stringify(inputSize)})`);
    }
    out.inputSize = inputSize[1];
  } else if (typeof out.modelArgs.img_size === 'number') out.inputSize = out.modelArgs.img_size;
  const pool = c.global_pool ?? out.modelArgs.global_pool;
  if (typeof pool === 'string') out.globalPool = pool;
  return out;
}

export async function readTimmConfig(path: string): Promise<TimmConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CheckpointError('not-found', `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError('unsupported-format', `${path} is not valid JSON (${(err as Error).message})`);
  }
  return parseTimmConfig(json, path);
}
