// Checks of the analysis API's parameters, which come off the wire: each returns the typed value or throws
// `invalid-argument` with a message that names the parameter and what it takes.
import { isAbsolute } from 'node:path';
import type { LevelRect } from '../contracts/analysis.js';
import { colourMapNames, type ColourMapName } from '../heatmap/colour-maps.js';
import { ApiError } from './api-error.js';

export function checkSlideId(v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new ApiError('invalid-argument', 'Parameter "slideId" must be a non-empty string');
  return v;
}

export function checkRect(v: unknown): LevelRect {
  const r = v as Partial<LevelRect> | null;
  const ok = (n: unknown) => typeof n === 'number' && Number.isFinite(n);
  if (!r || !ok(r.x) || !ok(r.y) || !ok(r.width) || !ok(r.height) || r.width! <= 0 || r.height! <= 0) {
    throw new ApiError('invalid-argument', 'A rectangle is {x, y, width, height} in level-0 pixels, with positive size');
  }
  return { x: r.x!, y: r.y!, width: r.width!, height: r.height! };
}

export function checkPath(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw new ApiError('invalid-argument', 'Parameter "path" must be a non-empty string');
  if (v.includes('\0'))
    throw new ApiError('invalid-argument', `The path ${JSON.stringify(v.replaceAll('\0', '�'))} holds a null byte (\\0, shown as �): no file can have that name`);
  if (!isAbsolute(v.trim())) throw new ApiError('invalid-argument', `Give a full path (got ${JSON.stringify(v)})`);
  return v.trim();
}

export function checkStringList(v: unknown, name: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new ApiError('invalid-argument', `Parameter "${name}" must be a list of strings`);
  return v;
}

export function checkMpps(v: unknown): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x))) {
    throw new ApiError('invalid-argument', 'Parameter "mpps" must be a list of positive µm/px values');
  }
  return v;
}

export function checkColourMap(v: unknown): ColourMapName | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(colourMapNames as readonly string[]).includes(v))
    throw new ApiError('invalid-argument', `Parameter "colourMap" must be ${colourMapNames.slice(0, -1).join(', ')} or ${colourMapNames.at(-1)}`);
  return v as ColourMapName;
}

export function optionalNumber(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !(v >= min && v <= max)) throw new ApiError('invalid-argument', `Parameter "${name}" must be a number from ${min} to ${max}`);
  return v;
}
