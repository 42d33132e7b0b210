// Structural checks on an annotation read from disk or built by an importer.
import type { Annotation } from './annotation-model.js';

/** Level-0 coordinates beyond this are not on any slide (the largest are ~10⁶ px): a broken file or a bug. */
export const MAX_COORDINATE = 1e9;
const range = `finite and within ±1e9 px`;

export function validateAnnotation(value: unknown, where: string): asserts value is Annotation {
  const a = value as Partial<Annotation> | null;
  if (!a || typeof a !== 'object') throw new Error(`${where}: not an object`);
  if (typeof a.id !== 'string' || !a.id) throw new Error(`${where}: missing id`);
  if (typeof a.className !== 'string') throw new Error(`${where}: missing className`);
  const g = a.geometry as { type?: string } | undefined;
  const ok = (n: unknown) => typeof n === 'number' && Number.isFinite(n) && Math.abs(n) <= MAX_COORDINATE;
  const okPoint = (p: unknown) => Array.isArray(p) && p.length >= 2 && ok(p[0]) && ok(p[1]);
  const okRing = (r: unknown) => Array.isArray(r) && r.length >= 3 && r.every(okPoint);
  const okPolygon = (p: unknown) => Array.isArray(p) && p.length >= 1 && p.every(okRing);
  switch (g?.type) {
    case 'rectangle': {
      const r = g as { x: unknown; y: unknown; width: unknown; height: unknown };
      if (![r.x, r.y, r.width, r.height].every(ok)) throw new Error(`${where}: rectangle needs x, y, width, height ${range}`);
      return;
    }
    case 'point': {
      const p = g as { x: unknown; y: unknown };
      if (!ok(p.x) || !ok(p.y)) throw new Error(`${where}: point needs x, y ${range}`);
      return;
    }
    case 'points':
      if (!Array.isArray((g as { points: unknown }).points) || !(g as { points: unknown[] }).points.every(okPoint)) throw new Error(`${where}: points must be [x, y] pairs, ${range}`);
      return;
    case 'line':
      if (!Array.isArray((g as { points: unknown }).points) || (g as { points: unknown[] }).points.length < 2 || !(g as { points: unknown[] }).points.every(okPoint)) throw new Error(`${where}: line needs at least 2 [x, y] points, ${range}`);
      return;
    case 'polygon':
      if (!okPolygon((g as { rings: unknown }).rings)) throw new Error(`${where}: polygon needs rings of at least 3 [x, y] points, ${range}`);
      return;
    case 'multipolygon': {
      const polys = (g as { polygons: unknown }).polygons;
      if (!Array.isArray(polys) || polys.length === 0 || !polys.every(okPolygon)) throw new Error(`${where}: multipolygon needs polygons of rings of at least 3 [x, y] points, ${range}`);
      return;
    }
    default:
      throw new Error(`${where}: unknown geometry type ${JSON.stringify(g?.type)}`);
  }
}
