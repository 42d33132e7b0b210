// Annotations, their classes and Tessera's own annotation document (the autosave file), as schemas: what
// annotation-file.ts reads back and what every importer's output is checked against.
import * as v from 'valibot';
import type { Annotation, AnnotationClass, AnnotationDocument, Rgb } from '../annotation-model.js';
import { geometrySchema } from './geometry.js';

export const annotationFormat = 'tessera-annotations';
export const annotationFileVersion = 1;

/** Longest class name (the API's limit; the class list and legends show it whole). */
export const MAX_CLASS_NAME = 80;

const isByte = (c: unknown): boolean => Number.isInteger(c) && (c as number) >= 0 && (c as number) <= 255;

/** `[r, g, b]`, integers 0–255. */
export const rgbSchema = v.pipe(
  v.custom<Rgb>((c) => Array.isArray(c) && c.length === 3 && c.every(isByte), 'must be [r, g, b] with integers 0–255'),
  v.transform((c): Rgb => [c[0], c[1], c[2]]),
);

const text = (what: string) => v.string(`must be text (${what})`);

// Only what every writer of the file guarantees: a GeoJSON import may have named a class "" (the API's
// 1–80 characters are checked where names come in), and a file must not become unreadable by a rule added later.
export const annotationClassSchema = v.object({
  name: text('the class name'),
  colour: rgbSchema,
  hidden: v.optional(v.boolean('must be true or false')),
  locked: v.optional(v.boolean('must be true or false')),
});

export const annotationSchema = v.object({
  id: v.pipe(text('an id'), v.minLength(1, 'is missing (an empty id)')),
  className: text('a class name'),
  geometry: geometrySchema,
  colour: v.optional(rgbSchema),
  name: v.optional(text('a name')),
  note: v.optional(text('a note')),
  locked: v.optional(v.boolean('must be true or false')),
});

/** The saved document after its `format` and `version` are known to be this Tessera's. */
export const annotationDocumentSchema = v.object({
  slideFingerprint: v.pipe(text('a slide fingerprint'), v.minLength(1, 'is missing')),
  classes: v.array(annotationClassSchema, 'must be a list of classes'),
  annotations: v.array(annotationSchema, 'must be a list of annotations'),
});

// The model's documented types (main/common/annotation-model.ts) and these schemas' outputs are one type.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
  Same<v.InferOutput<typeof annotationSchema>, Annotation>,
  Same<v.InferOutput<typeof annotationClassSchema>, AnnotationClass>,
  Same<v.InferOutput<typeof annotationDocumentSchema>, AnnotationDocument>,
] = [true, true, true];
void agree;
