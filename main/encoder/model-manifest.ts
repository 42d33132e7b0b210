// manifest.json: everything needed to feed a model correctly and to know what its embeddings mean.
import { ModelError } from './model-errors.js';
import type { ModelManifestDraft } from '../contracts/analysis.js';

/** The fields of manifest.json: the contract's manifest (what the import form edits) plus what only the
 * runtime sets. `input`: float32 [batch, 3, size, size] (NCHW), value = (pixel · scale − mean[c]) / std[c]. */
export interface ModelManifest extends ModelManifestDraft {
  /** The ONNX file, relative to the model folder. */
  file: string;
  /** True for models that are not learned pathology encoders (e.g. Tessera's stain-texture baseline). */
  baseline?: boolean;
  /** ONNX external data beside `file` (models over 2 GB), checked like the graph. */
  externalData?: { file: string; sha256: string };
}

const fail = (where: string, what: string): never => {
  throw new ModelError('manifest-invalid', `${where}: ${what}`);
};

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const triple = (v: unknown): v is [number, number, number] => Array.isArray(v) && v.length === 3 && v.every(isNum);

/** Checks a parsed manifest; `where` names it in errors (a path). Returns it typed. */
export function validateManifest(value: unknown, where: string): ModelManifest {
  if (typeof value !== 'object' || value === null) return fail(where, 'not a JSON object');
  const m = value as Record<string, any>;
  if (!isStr(m.id) || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(m.id))
    fail(where, '`id` must be letters, digits, ".", "_" or "-"');
  if (!isStr(m.name)) fail(where, '`name` is missing');
  if (!isStr(m.file) || m.file.includes('..') || m.file.includes('/')) fail(where, '`file` must be a file name in the model folder');
  if (!isStr(m.sha256) || !/^[0-9a-f]{64}$/.test(m.sha256)) fail(where, '`sha256` must be 64 lowercase hex digits');
  const i = m.input;
  if (typeof i !== 'object' || i === null) return fail(where, '`input` is missing');
  if (!isStr(i.name)) fail(where, '`input.name` is missing');
  if (!Number.isInteger(i.size) || i.size < 8) fail(where, '`input.size` must be an integer ≥ 8');
  if (i.channelOrder !== 'RGB' && i.channelOrder !== 'BGR') fail(where, '`input.channelOrder` must be "RGB" or "BGR"');
  if (!isNum(i.scale) || i.scale <= 0) fail(where, '`input.scale` must be a positive number (e.g. 1/255)');
  if (!triple(i.mean)) fail(where, '`input.mean` must be 3 numbers');
  if (!triple(i.std) || i.std.some((s: number) => s <= 0)) fail(where, '`input.std` must be 3 positive numbers');
  const o = m.output;
  if (typeof o !== 'object' || o === null) return fail(where, '`output` is missing');
  if (!isStr(o.name)) fail(where, '`output.name` is missing');
  if (!Number.isInteger(o.dim) || o.dim < 1) fail(where, '`output.dim` must be a positive integer');
  if (!Array.isArray(m.magnifications) || m.magnifications.length === 0 || !m.magnifications.every((v: unknown) => isNum(v) && v > 0))
    fail(where, '`magnifications` must be a non-empty list of µm/px values');
  if (!isStr(m.licence)) fail(where, '`licence` is missing');
  if (m.baseline !== undefined && typeof m.baseline !== 'boolean') fail(where, '`baseline` must be true or false');
  if (m.externalData !== undefined) {
    const e = m.externalData;
    if (typeof e !== 'object' || e === null || !isStr(e.file) || e.file.includes('/') || e.file.includes('..')) fail(where, '`externalData.file` must be a file name in the model folder');
    if (!isStr(e.sha256) || !/^[0-9a-f]{64}$/.test(e.sha256)) fail(where, '`externalData.sha256` must be 64 lowercase hex digits');
  }
  if (m.checkpoint !== undefined && (typeof m.checkpoint !== 'object' || m.checkpoint === null || !isStr(m.checkpoint.architecture))) {
    fail(where, '`checkpoint` must describe the converted checkpoint');
  }
  if (i.size > 4096) fail(where, '`input.size` must be at most 4096');
  if (m.magnifications.some((v: number) => v < 0.05 || v > 100)) fail(where, '`magnifications` must be between 0.05 and 100 µm/px');
  return m as ModelManifest;
}
