// The parameters of the app's API as they come off the wire, as schemas; `readParam` turns a failure into
// the caller's typed error (the services pass `ApiError('invalid-argument', …)`) with a message that names
// the parameter: `Parameter "rect.width" must be a positive number`.
import * as v from 'valibot';
import { colourMapList, colourMapNames, type ColourMapName } from '../colour-maps.js';
import { exportFormatIds, exportFormatNamed, type ExportFormatId } from '../export-formats.js';
import { MAX_CLASS_NAME, rgbSchema } from './annotation.js';
import { geometryInputSchema } from './geometry.js';
import { describeIssue, firstIssueOnly, objectMessage, parameterLabel } from './issues.js';

/** The parameter `name`'s value read with `schema`, or `toError(<message naming the parameter>)` thrown. */
export function readParam<const S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  name: string,
  toError: (message: string) => Error,
): v.InferOutput<S> {
  const r = v.safeParse(schema, value, firstIssueOnly);
  if (r.success) return r.output;
  throw toError(describeIssue(r.issues[0], parameterLabel, name));
}

/** Every method's params: one JSON object (an array or null is refused). */
export const paramsObjectSchema = v.custom<Record<string, unknown>>(
  (p) => p !== null && typeof p === 'object' && !Array.isArray(p),
  'Parameters must be an object',
);

export const nonEmptyStringSchema = v.pipe(v.string('must be a non-empty string'), v.minLength(1, 'must be a non-empty string'));

/** A non-empty string once trimmed (paths typed by people): the trimmed text. */
export const trimmedStringSchema = v.pipe(v.string('must be a non-empty string'), v.trim(), v.minLength(1, 'must be a non-empty string'));

const positive = (what: string) => v.custom<number>((n) => typeof n === 'number' && Number.isFinite(n) && n > 0, `must be a positive number${what}`);
const finiteNumber = v.custom<number>((n) => typeof n === 'number' && Number.isFinite(n), 'must be a finite number');

/** A level-0 rectangle with positive size (the viewport, a region's bounds). */
export const levelRectSchema = v.object(
  { x: finiteNumber, y: finiteNumber, width: positive(''), height: positive('') },
  objectMessage('must be a rectangle {x, y, width, height} in level-0 pixels'),
);
export type LevelRectParam = v.InferOutput<typeof levelRectSchema>;

/** Magnifications in µm/px: a non-empty list of positive numbers. */
export const mppsSchema = v.pipe(
  v.array(positive(' of µm/px'), 'must be a list of positive µm/px values'),
  v.minLength(1, 'must be a list of positive µm/px values'),
);

export const colourMapSchema = v.picklist(colourMapNames as readonly ColourMapName[] as ColourMapName[], `must be ${colourMapList()}`);

/** An export format by id; older spellings ('tif') read as their format's id ('tiff'). */
export const exportFormatSchema = v.pipe(
  v.custom<string>((f) => exportFormatNamed(f) !== undefined, `must be one of ${exportFormatIds.join(', ')}`),
  v.transform((f): ExportFormatId => exportFormatNamed(f)!.id),
);

/** A class name: 1–80 characters once trimmed; the trimmed name. */
export const classNameSchema = v.pipe(
  v.string(`must be a class name of 1–${MAX_CLASS_NAME} characters`),
  v.trim(),
  v.minLength(1, `must be a class name of 1–${MAX_CLASS_NAME} characters`),
  v.maxLength(MAX_CLASS_NAME, `must be a class name of 1–${MAX_CLASS_NAME} characters`),
);

export const colourSchema = rgbSchema;

export const flagSchema = v.boolean('must be true or false');

/** One geometry off the wire (negative rectangle sizes normalised), every geometry rule checked. */
export { geometryInputSchema };

/** Most annotations one `addAnnotations` call adds (one undo step). */
export const MAX_GEOMETRIES_PER_CALL = 10_000;

/** `addAnnotations`' list: its length is checked before any geometry is read. */
export const geometryListSchema = v.pipe(
  v.custom<unknown[]>(
    (g) => Array.isArray(g) && g.length > 0 && g.length <= MAX_GEOMETRIES_PER_CALL,
    `must be a list of 1–${MAX_GEOMETRIES_PER_CALL} geometries`,
  ),
  v.array(geometryInputSchema),
);

export const annotationIdsSchema = v.pipe(
  v.array(v.unknown(), 'must be a non-empty list of annotation ids'),
  v.minLength(1, 'must be a non-empty list of annotation ids'),
);

export const importModeSchema = v.picklist(['merge', 'replace'], 'must be "merge" or "replace"');

/** An optional number in [min, max] (null reads as absent). */
export function optionalNumberSchema(min: number, max: number) {
  return v.nullish(v.custom<number>((n) => typeof n === 'number' && n >= min && n <= max, `must be a number from ${min} to ${max}`));
}

export const stringListSchema = v.array(v.string('must be a string'), 'must be a list of strings');
