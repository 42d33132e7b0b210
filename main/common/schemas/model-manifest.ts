// An encoder model's manifest.json as a schema: what main/encoder/model-manifest.ts checks before a model is
// loaded or installed. Fields Tessera does not know are kept (loose objects): a newer Tessera's manifest,
// or a checkpoint's provenance, passes through unchanged.
import * as v from 'valibot';
import type { CheckpointProvenance } from '../../contracts/analysis.js';
import { objectMessage } from './issues.js';

const isNumber = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
const nonEmpty = (message: string) => v.pipe(v.string(message), v.minLength(1, message));
const sha256 = v.pipe(v.string('must be 64 lowercase hex digits'), v.regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits'));
/** A file in the model folder itself: no folders, no way out of it. */
const fileName = v.pipe(
  nonEmpty('must be a file name in the model folder'),
  v.check((f) => !f.includes('/') && !f.includes('..'), 'must be a file name in the model folder'),
);
const triple = (message: string, ok: (n: number) => boolean = () => true) =>
  v.custom<[number, number, number]>((t) => Array.isArray(t) && t.length === 3 && t.every((n) => isNumber(n) && ok(n)), message);

/** Folder names in the user models folder. */
export const modelIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** µm/px a model may read: beyond these a patch grid would exhaust memory on the first slide. */
export const MIN_MAGNIFICATION = 0.05;
export const MAX_MAGNIFICATION = 100;
/** The largest input patch, px (a 12,000-px patch would not fit in memory). */
export const MAX_INPUT_SIZE = 4096;

export const modelManifestSchema = v.looseObject({
  id: v.pipe(v.string('must be letters, digits, ".", "_" or "-"'), v.regex(modelIdPattern, 'must be letters, digits, ".", "_" or "-"')),
  name: nonEmpty('is missing'),
  description: v.optional(v.string('must be text')),
  file: fileName,
  sha256,
  input: v.object(
    {
      name: nonEmpty('is missing'),
      size: v.custom<number>(
        (n) => Number.isInteger(n) && (n as number) >= 8 && (n as number) <= MAX_INPUT_SIZE,
        `must be an integer from 8 to ${MAX_INPUT_SIZE}`,
      ),
      channelOrder: v.picklist(['RGB', 'BGR'], 'must be "RGB" or "BGR"'),
      scale: v.custom<number>((n) => isNumber(n) && n > 0, 'must be a positive number (e.g. 1/255)'),
      mean: triple('must be 3 numbers'),
      std: triple('must be 3 positive numbers', (n) => n > 0),
    },
    objectMessage('is missing'),
  ),
  output: v.object(
    {
      name: nonEmpty('is missing'),
      dim: v.custom<number>((n) => Number.isInteger(n) && (n as number) >= 1, 'must be a positive integer'),
    },
    objectMessage('is missing'),
  ),
  magnifications: v.pipe(
    v.array(v.custom<number>(isNumber, 'must be a µm/px value'), 'must be a non-empty list of µm/px values'),
    v.minLength(1, 'must be a non-empty list of µm/px values'),
    v.check((m) => m.every((x) => x >= MIN_MAGNIFICATION && x <= MAX_MAGNIFICATION), `must be between ${MIN_MAGNIFICATION} and ${MAX_MAGNIFICATION} µm/px`),
  ),
  licence: nonEmpty('is missing'),
  source: v.optional(v.string('must be text')),
  baseline: v.optional(v.boolean('must be true or false')),
  externalData: v.optional(v.object({ file: fileName, sha256 }, objectMessage('must be {file, sha256}'))),
  checkpoint: v.optional(
    v.custom<CheckpointProvenance>(
      (c) => typeof c === 'object' && c !== null && typeof (c as { architecture?: unknown }).architecture === 'string' && (c as { architecture: string }).architecture !== '',
      'must describe the converted checkpoint',
    ),
  ),
}, objectMessage('is not a JSON object'));

export type ModelManifestOutput = v.InferOutput<typeof modelManifestSchema>;
