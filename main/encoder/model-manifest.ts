// manifest.json: everything needed to feed a model correctly and to know what its embeddings mean. Its
// rules are one schema (main/common/schemas/model-manifest.ts); a failure is a `manifest-invalid` ModelError.
import { modelManifestSchema } from '../common/schemas/model-manifest.js';
import { parseOr } from '../common/schemas/issues.js';
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

/** `input.size`, in the backticks the manifest's messages have always used. */
const fieldName = (path: string): string => `\`${path}\``;

/** Checks a parsed manifest; `where` names it in errors (a path). Returns it typed, unknown fields kept. */
export function validateManifest(value: unknown, where: string): ModelManifest {
  const manifest: ModelManifest = parseOr(modelManifestSchema, value, (message) => new ModelError('manifest-invalid', `${where}: ${message}`), {
    label: fieldName,
  });
  return manifest;
}
