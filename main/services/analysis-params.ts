// The analysis API's parameters, which come off the wire, read with the shared schemas
// (main/common/schemas/api-params.ts): each returns the typed value or throws `invalid-argument` with a
// message that names the parameter and what it takes.
import { isAbsolute } from 'node:path';
import type { ColourMapName } from '../common/colour-maps.js';
import {
  colourMapSchema,
  levelRectSchema,
  mppsSchema,
  nonEmptyStringSchema,
  optionalNumberSchema,
  readParam,
  stringListSchema,
} from '../common/schemas/api-params.js';
import type { LevelRect } from '../contracts/analysis.js';
import { ApiError } from './api-error.js';

const invalid = (message: string) => new ApiError('invalid-argument', message);

export function checkSlideId(v: unknown): string {
  return readParam(nonEmptyStringSchema, v, 'slideId', invalid);
}

export function checkRect(v: unknown, name = 'rect'): LevelRect {
  return readParam(levelRectSchema, v, name, invalid);
}

export function checkPath(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw invalid('Parameter "path" must be a non-empty string');
  if (v.includes('\0'))
    throw invalid(`The path ${JSON.stringify(v.replaceAll('\0', '�'))} holds a null byte (\\0, shown as �): no file can have that name`);
  if (!isAbsolute(v.trim())) throw invalid(`Give a full path (got ${JSON.stringify(v)})`);
  return v.trim();
}

export function checkStringList(v: unknown, name: string): string[] {
  return readParam(stringListSchema, v, name, invalid);
}

export function checkMpps(v: unknown): number[] {
  return readParam(mppsSchema, v, 'mpps', invalid);
}

export function checkColourMap(v: unknown): ColourMapName | undefined {
  return v === undefined ? undefined : readParam(colourMapSchema, v, 'colourMap', invalid);
}

export function optionalNumber(v: unknown, name: string, min: number, max: number): number | undefined {
  return readParam(optionalNumberSchema(min, max), v, name, invalid) ?? undefined;
}
