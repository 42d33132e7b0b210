// Editing annotation geometries by hand: their draggable vertices, moving one vertex, moving the whole,
// and turning a brush stroke into the polygon it paints. Level-0 pixels throughout; no DOM.
import { contours } from 'd3-contour';
import type { AnnotationGeometry, Ring } from '../../../main/contracts/tessera-api';

export interface Vertex {
  /** Which vertex: rectangle corner 0–3, `[ring, i]` of a polygon, `[polygon, ring, i]`, or point index. */
  key: number[];
  x: number;
  y: number;
}

export function vertices(g: AnnotationGeometry): Vertex[] {
  switch (g.type) {
    case 'rectangle':
      return [
        { key: [0], x: g.x, y: g.y },
        { key: [1], x: g.x + g.width, y: g.y },
        { key: [2], x: g.x + g.width, y: g.y + g.height },
        { key: [3], x: g.x, y: g.y + g.height },
      ];
    case 'polygon':
      return g.rings.flatMap((ring, r) => ring.map(([x, y], i) => ({ key: [r, i], x, y })));
    case 'multipolygon':
      return g.polygons.flatMap((poly, p) =>
        poly.flatMap((ring, r) => ring.map(([x, y], i) => ({ key: [p, r, i], x, y }))),
      );
    case 'point':
      return [{ key: [0], x: g.x, y: g.y }];
    case 'points':
    case 'line':
      return g.points.map(([x, y], i) => ({ key: [i], x, y }));
  }
}

/** The geometry with vertex `key` at (x, y); a rectangle keeps the opposite corner fixed. */
export function moveVertex(g: AnnotationGeometry, key: number[], x: number, y: number): AnnotationGeometry {
  switch (g.type) {
    case 'rectangle': {
      const corners = vertices(g);
      const opposite = corners[(key[0] + 2) % 4];
      return {
        type: 'rectangle',
        x: Math.min(x, opposite.x),
        y: Math.min(y, opposite.y),
        width: Math.abs(x - opposite.x),
        height: Math.abs(y - opposite.y),
      };
    }
    case 'polygon':
      return {
        ...g,
        rings: g.rings.map((ring, r) =>
          r === key[0] ? ring.map((p, i) => (i === key[1] ? [x, y] : p)) : ring,
        ) as Ring[],
      };
    case 'multipolygon':
      return {
        ...g,
        polygons: g.polygons.map((poly, p) =>
          p === key[0]
            ? poly.map((ring, r) => (r === key[1] ? ring.map((q, i) => (i === key[2] ? [x, y] : q)) : ring))
            : poly,
        ) as Ring[][],
      };
    case 'point':
      return { type: 'point', x, y };
    case 'points':
    case 'line':
      return { type: g.type, points: g.points.map((p, i) => (i === key[0] ? [x, y] : p)) };
  }
}

export function translate(g: AnnotationGeometry, dx: number, dy: number): AnnotationGeometry {
  const ring = (r: Ring): Ring => r.map(([x, y]) => [x + dx, y + dy]);
  switch (g.type) {
    case 'rectangle':
      return { ...g, x: g.x + dx, y: g.y + dy };
    case 'polygon':
      return { ...g, rings: g.rings.map(ring) };
    case 'multipolygon':
      return { ...g, polygons: g.polygons.map((p) => p.map(ring)) };
    case 'point':
      return { type: 'point', x: g.x + dx, y: g.y + dy };
    case 'points':
    case 'line':
      return { type: g.type, points: ring(g.points) };
  }
}

function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/**
 * The area a round brush of `radius` paints along `stroke`: rasterised on a grid of radius/3 cells, then
 * traced (marching squares). One polygon (with holes) or several.
 */
export function brushStrokeGeometry(stroke: readonly [number, number][], radius: number): AnnotationGeometry | null {
  if (stroke.length === 0 || !(radius > 0)) return null;
  const cell = radius / 3;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of stroke) {
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
  }
  const ox = minX - radius - 2 * cell;
  const oy = minY - radius - 2 * cell;
  const w = Math.ceil((maxX - minX + 2 * radius) / cell) + 4;
  const h = Math.ceil((maxY - minY + 2 * radius) / cell) + 4;
  if (w * h > 4_000_000) return null;
  const values = new Float64Array(w * h);
  const pts = stroke.length === 1 ? [stroke[0], stroke[0]] : stroke;
  for (let s = 1; s < pts.length; s++) {
    const [ax, ay] = pts[s - 1];
    const [bx, by] = pts[s];
    const i0 = Math.max(0, Math.floor((Math.min(ax, bx) - radius - ox) / cell));
    const i1 = Math.min(w - 1, Math.ceil((Math.max(ax, bx) + radius - ox) / cell));
    const j0 = Math.max(0, Math.floor((Math.min(ay, by) - radius - oy) / cell));
    const j1 = Math.min(h - 1, Math.ceil((Math.max(ay, by) + radius - oy) / cell));
    for (let j = j0; j <= j1; j++) {
      for (let i = i0; i <= i1; i++) {
        if (values[j * w + i]) continue;
        if (segmentDistance(ox + (i + 0.5) * cell, oy + (j + 0.5) * cell, ax, ay, bx, by) <= radius)
          values[j * w + i] = 1;
      }
    }
  }
  const [shape] = contours().size([w, h]).thresholds([0.5])(Array.from(values));
  if (!shape || shape.coordinates.length === 0) return null;
  const polygons = shape.coordinates.map((poly) =>
    poly.map((ring) => {
      const r = ring.map(([x, y]) => [ox + x * cell, oy + y * cell] as [number, number]);
      return r.length > 1 && r[0][0] === r[r.length - 1][0] && r[0][1] === r[r.length - 1][1] ? r.slice(0, -1) : r;
    }),
  );
  if (polygons.length === 1) return { type: 'polygon', rings: polygons[0], drawnWith: 'brush' };
  return { type: 'multipolygon', polygons };
}
