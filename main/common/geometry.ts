// Geometry of annotations in level-0 pixels: bounds, containment, area.
import type { AnnotationGeometry, Point, Ring } from './annotation-model.js';

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function geometryBounds(g: AnnotationGeometry): Bounds {
  switch (g.type) {
    case 'rectangle':
      return { minX: g.x, minY: g.y, maxX: g.x + g.width, maxY: g.y + g.height };
    case 'point':
      return { minX: g.x, minY: g.y, maxX: g.x, maxY: g.y };
    case 'points':
    case 'line':
      return pointsBounds(g.points);
    case 'polygon':
      return pointsBounds(g.rings[0] ?? []);
    case 'multipolygon':
      return pointsBounds(g.polygons.flatMap((p) => p[0] ?? []));
  }
}

function pointsBounds(points: readonly Point[]): Bounds {
  const b = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  for (const [x, y] of points) {
    if (x < b.minX) b.minX = x;
    if (y < b.minY) b.minY = y;
    if (x > b.maxX) b.maxX = x;
    if (y > b.maxY) b.maxY = y;
  }
  return b;
}

/** Even-odd ray casting on one ring. */
export function ringContains(ring: Ring, x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function polygonContains(rings: Ring[], x: number, y: number): boolean {
  if (rings.length === 0 || !ringContains(rings[0], x, y)) return false;
  for (let h = 1; h < rings.length; h++) if (ringContains(rings[h], x, y)) return false;
  return true;
}

/** Whether (x, y) lies inside an areal geometry (points and point sets contain nothing). */
export function geometryContains(g: AnnotationGeometry, x: number, y: number): boolean {
  switch (g.type) {
    case 'rectangle':
      return x >= g.x && x < g.x + g.width && y >= g.y && y < g.y + g.height;
    case 'polygon':
      return polygonContains(g.rings, x, y);
    case 'multipolygon':
      return g.polygons.some((p) => polygonContains(p, x, y));
    default:
      return false;
  }
}

/** Shoelace area of a ring, unsigned. */
export function ringArea(ring: Ring): number {
  let s = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) s += (ring[j][0] + ring[i][0]) * (ring[j][1] - ring[i][1]);
  return Math.abs(s) / 2;
}

/** Area in level-0 px² (holes subtracted). */
export function geometryAreaPx(g: AnnotationGeometry): number {
  const polygonArea = (rings: Ring[]) => (rings.length ? ringArea(rings[0]) - rings.slice(1).reduce((s, r) => s + ringArea(r), 0) : 0);
  switch (g.type) {
    case 'rectangle':
      return Math.abs(g.width * g.height);
    case 'polygon':
      return polygonArea(g.rings);
    case 'multipolygon':
      return g.polygons.reduce((s, p) => s + polygonArea(p), 0);
    default:
      return 0;
  }
}

/** Length of a line in level-0 px (0 for anything else). */
export function lineLengthPx(g: AnnotationGeometry): number {
  if (g.type !== 'line') return 0;
  let s = 0;
  for (let i = 1; i < g.points.length; i++) s += Math.hypot(g.points[i][0] - g.points[i - 1][0], g.points[i][1] - g.points[i - 1][1]);
  return s;
}

/** Length of a line in µm given the slide's level-0 µm per pixel (x and y). */
export function lineLengthUm(g: AnnotationGeometry, mpp: { x: number; y: number }): number {
  if (g.type !== 'line') return 0;
  let s = 0;
  for (let i = 1; i < g.points.length; i++)
    s += Math.hypot((g.points[i][0] - g.points[i - 1][0]) * mpp.x, (g.points[i][1] - g.points[i - 1][1]) * mpp.y);
  return s;
}

/** Area in mm² given the slide's level-0 µm per pixel (x and y). */
export function geometryAreaMm2(g: AnnotationGeometry, mpp: { x: number; y: number }): number {
  return (geometryAreaPx(g) * mpp.x * mpp.y) / 1e6;
}

export function isAreal(g: AnnotationGeometry): boolean {
  return g.type === 'rectangle' || g.type === 'polygon' || g.type === 'multipolygon';
}

/** Rings with more vertices than this are not checked for self-intersection (the check is quadratic). */
const SELF_INTERSECTION_MAX_VERTICES = 4000;

/** Whether two non-adjacent edges of a ring (closed implicitly) cross or touch. */
export function ringSelfIntersects(ring: Ring): boolean {
  const n = ring.length;
  if (n < 4 || n > SELF_INTERSECTION_MAX_VERTICES) return false;
  const orient = (a: Point, b: Point, c: Point) => Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]));
  const onSegment = (a: Point, b: Point, c: Point) =>
    Math.min(a[0], b[0]) <= c[0] && c[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= c[1] && c[1] <= Math.max(a[1], b[1]);
  const cross = (p1: Point, p2: Point, p3: Point, p4: Point) => {
    const d1 = orient(p3, p4, p1);
    const d2 = orient(p3, p4, p2);
    const d3 = orient(p1, p2, p3);
    const d4 = orient(p1, p2, p4);
    if (d1 !== d2 && d3 !== d4 && d1 !== 0 && d2 !== 0 && d3 !== 0 && d4 !== 0) return true;
    return (d1 === 0 && onSegment(p3, p4, p1)) || (d2 === 0 && onSegment(p3, p4, p2)) || (d3 === 0 && onSegment(p1, p2, p3)) || (d4 === 0 && onSegment(p1, p2, p4));
  };
  for (let i = 0; i < n; i++) {
    const a = ring[i];
    const b = ring[(i + 1) % n];
    for (let j = i + 2; j < n; j++) {
      if (i === 0 && j === n - 1) continue; // adjacent through the closing edge
      if (cross(a, b, ring[j], ring[(j + 1) % n])) return true;
    }
  }
  return false;
}
