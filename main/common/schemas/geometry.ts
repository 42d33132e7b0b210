// The one set of geometry rules, for every path a shape comes in by: the app's API (`addAnnotation`…),
// Tessera's own annotation file, and QuPath GeoJSON / ASAP XML imports. Level-0 pixel coordinates are
// finite and within ±1e9 px; a ring is closed implicitly (a repeated first position at the end is dropped,
// as GeoJSON writes it) and has at least 3 positions; a polygon has rings, a line 2 points, a point set 1.
// Messages are predicates that read after a path (see issues.ts): "rings[0] has fewer than 3 distinct positions".
import * as v from 'valibot';
import type { AnnotationGeometry, Point } from '../annotation-model.js';
import { preview } from './issues.js';

/** Level-0 coordinates beyond this are not on any slide (the largest are ~10⁶ px): a broken file or a bug. */
export const MAX_COORDINATE = 1e9;

const within = (n: number): boolean => Math.abs(n) <= MAX_COORDINATE;
const isCoordinate = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && within(n);

/** One level-0 coordinate. */
export const coordinateSchema = v.custom<number>(isCoordinate, 'must be a finite number within ±1e9 px');

/** A rectangle's width or height as stored: positive (the API normalises negative drags first). */
const extentSchema = v.custom<number>((n) => isCoordinate(n) && n > 0, 'must be a positive size, finite and within ±1e9 px');

/** `[x, y]` (further items, e.g. GeoJSON's z, are dropped). */
export const positionSchema = v.pipe(
  v.custom<readonly [number, number, ...unknown[]]>(
    (p) => Array.isArray(p) && p.length >= 2 && isCoordinate(p[0]) && isCoordinate(p[1]),
    (issue) => `is not a finite [x, y] position within ±1e9 px: ${preview(issue.input)}`,
  ),
  v.transform((p): Point => [p[0], p[1]]),
);

/** Drops a closing position that repeats the first: rings are closed implicitly. */
function openRing(points: Point[]): Point[] {
  const first = points[0];
  const last = points[points.length - 1];
  return points.length > 1 && first[0] === last[0] && first[1] === last[1] ? points.slice(0, -1) : points;
}

/** A closed ring of at least 3 distinct positions (a closing repeat of the first does not count). */
export const ringSchema = v.pipe(
  v.array(positionSchema, 'is not an array of positions'),
  v.transform(openRing),
  v.check((r) => r.length >= 3, 'has fewer than 3 distinct positions'),
);

/** Outer ring, then holes. */
export const polygonRingsSchema = v.pipe(v.array(ringSchema, 'is not a list of rings'), v.minLength(1, 'has no rings'));
export const polygonsSchema = v.pipe(v.array(polygonRingsSchema, 'is not a list of polygons'), v.minLength(1, 'has no polygons'));
export const pointSetSchema = v.pipe(v.array(positionSchema, 'is not a list of positions'), v.minLength(1, 'has no points'));
export const linePointsSchema = v.pipe(
  v.array(positionSchema, 'is not a list of positions'),
  v.minLength(2, 'has fewer than 2 points: a line needs at least 2'),
);

const geometryTypes = ['rectangle', 'polygon', 'multipolygon', 'point', 'points', 'line'] as const;

const variantSchema = v.variant(
  'type',
  [
    v.object({ type: v.literal('rectangle'), x: coordinateSchema, y: coordinateSchema, width: extentSchema, height: extentSchema }),
    v.object({
      type: v.literal('polygon'),
      rings: polygonRingsSchema,
      drawnWith: v.optional(v.picklist(['brush', 'ellipse'], 'must be "brush" or "ellipse"')),
    }),
    v.object({ type: v.literal('multipolygon'), polygons: polygonsSchema }),
    v.object({ type: v.literal('point'), x: coordinateSchema, y: coordinateSchema }),
    v.object({ type: v.literal('points'), points: pointSetSchema }),
    v.object({ type: v.literal('line'), points: linePointsSchema }),
  ],
  (issue) =>
    issue.path
      ? `Unknown geometry type ${preview(issue.input)} (known: ${geometryTypes.join(', ')})`
      : `must be a geometry {type, …}, got ${preview(issue.input)}`,
);

/** An annotation's geometry as stored and drawn: only its known fields, every rule above checked. */
export const geometrySchema = v.pipe(
  variantSchema,
  v.check(
    (g) => g.type !== 'rectangle' || (within(g.x + g.width) && within(g.y + g.height)),
    'is a rectangle reaching beyond ±1e9 px',
  ),
);

/** A rectangle dragged up or left has a negative size: the same rectangle with its origin at the top left. */
function normaliseRectangle(g: unknown): unknown {
  const r = g as { type?: unknown; x?: unknown; y?: unknown; width?: unknown; height?: unknown } | null;
  if (r?.type !== 'rectangle' || typeof r.x !== 'number' || typeof r.y !== 'number' || typeof r.width !== 'number' || typeof r.height !== 'number') return g;
  const { x, y, width: w, height: h } = r;
  return { type: 'rectangle', x: Math.min(x, x + w), y: Math.min(y, y + h), width: Math.abs(w), height: Math.abs(h) };
}

/** A geometry off the wire (the API): as `geometrySchema`, after normalising negative rectangle sizes. */
export const geometryInputSchema = v.pipe(v.unknown(), v.transform(normaliseRectangle), geometrySchema);

export type GeometryOutput = v.InferOutput<typeof geometrySchema>;

// The model's hand-documented type (main/common/annotation-model.ts, shared by the renderer) and the schema's
// output must stay one type: either direction failing here is a compile error.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const geometryTypesAgree: Same<GeometryOutput, AnnotationGeometry> = true;
void geometryTypesAgree;
