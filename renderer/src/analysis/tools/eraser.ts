// Brush eraser: a round stroke removes area from the polygon and brush annotations under it. Like the brush
// (geometry-edit's brushStrokeGeometry) it works on a raster, traced back to polygons with d3-contour:
// each shape is rasterised on a grid of cells radius/3 wide (coarser for a very large shape, ≤ 4 M cells),
// the cells the brush covers are cleared, and the rest is traced. The erased shape is re-traced as a whole,
// so its outline is approximated at that cell size (brush strokes already are).
import { contours } from 'd3-contour';
import type { AnnotationGeometry, Ring } from '../../../../main/contracts/tessera-api';
import { geometryBounds } from '../../../../main/common/geometry';
import { extendStroke, type DragTool } from './tool';
import type { StrokeDrag } from './brush';

const MAX_CELLS = 4_000_000;

function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Whether the eraser can cut this geometry: polygons (drawn, brushed, ellipses) and multipolygons. */
export function isErasable(g: AnnotationGeometry): boolean {
  return g.type === 'polygon' || g.type === 'multipolygon';
}

/**
 * `g` less what a round brush of `radius` covers along `stroke`: the same object when the brush misses it,
 * null when nothing is left, else a polygon (keeping `drawnWith: 'brush'`) or a multipolygon.
 */
export function eraseStroke(
  g: AnnotationGeometry,
  stroke: readonly [number, number][],
  radius: number,
): AnnotationGeometry | null {
  if (!isErasable(g) || stroke.length === 0 || !(radius > 0)) return g;
  const polygons: Ring[][] = g.type === 'polygon' ? [g.rings] : g.type === 'multipolygon' ? g.polygons : [];
  const b = geometryBounds(g);
  let sMinX = Infinity;
  let sMinY = Infinity;
  let sMaxX = -Infinity;
  let sMaxY = -Infinity;
  for (const [x, y] of stroke) {
    sMinX = Math.min(sMinX, x - radius);
    sMinY = Math.min(sMinY, y - radius);
    sMaxX = Math.max(sMaxX, x + radius);
    sMaxY = Math.max(sMaxY, y + radius);
  }
  if (sMaxX < b.minX || sMinX > b.maxX || sMaxY < b.minY || sMinY > b.maxY) return g;
  let cell = radius / 3;
  const spanX = b.maxX - b.minX;
  const spanY = b.maxY - b.minY;
  if ((spanX / cell + 4) * (spanY / cell + 4) > MAX_CELLS) cell = Math.sqrt((spanX * spanY) / MAX_CELLS) * 1.05 + 1e-9;
  const ox = b.minX - 2 * cell;
  const oy = b.minY - 2 * cell;
  const w = Math.ceil(spanX / cell) + 4;
  const h = Math.ceil(spanY / cell) + 4;
  const values = new Float64Array(w * h);
  // Fill: even-odd scanlines through each cell row's centre, per polygon (outer ring and holes together).
  for (let j = 0; j < h; j++) {
    const y = oy + (j + 0.5) * cell;
    for (const rings of polygons) {
      const xs: number[] = [];
      for (const ring of rings) {
        for (let i = 0, k = ring.length - 1; i < ring.length; k = i++) {
          const [xi, yi] = ring[i];
          const [xk, yk] = ring[k];
          if (yi > y !== yk > y) xs.push(xi + ((y - yi) * (xk - xi)) / (yk - yi));
        }
      }
      xs.sort((a, c) => a - c);
      for (let s = 0; s + 1 < xs.length; s += 2) {
        const i0 = Math.max(0, Math.ceil((xs[s] - ox) / cell - 0.5));
        const i1 = Math.min(w - 1, Math.floor((xs[s + 1] - ox) / cell - 0.5));
        for (let i = i0; i <= i1; i++) values[j * w + i] = 1;
      }
    }
  }
  // Clear what the brush covers.
  let erased = 0;
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
        if (!values[j * w + i]) continue;
        if (segmentDistance(ox + (i + 0.5) * cell, oy + (j + 0.5) * cell, ax, ay, bx, by) <= radius) {
          values[j * w + i] = 0;
          erased++;
        }
      }
    }
  }
  if (erased === 0) return g;
  const [shape] = contours().size([w, h]).thresholds([0.5])(Array.from(values));
  if (!shape || shape.coordinates.length === 0) return null;
  const out = shape.coordinates.map((poly) =>
    poly.map((ring) => {
      const r = ring.map(([x, y]) => [ox + x * cell, oy + y * cell] as [number, number]);
      return r.length > 1 && r[0][0] === r[r.length - 1][0] && r[0][1] === r[r.length - 1][1] ? r.slice(0, -1) : r;
    }),
  );
  if (out.length === 1) {
    const brushed = g.type === 'polygon' && g.drawnWith === 'brush';
    return { type: 'polygon', rings: out[0], ...(brushed ? { drawnWith: 'brush' as const } : {}) };
  }
  return { type: 'multipolygon', polygons: out };
}

export const eraserTool: DragTool<StrokeDrag> = {
  id: 'eraser',
  key: 'x',
  label: 'Eraser (removes area from polygons and brush strokes)',
  icon: '⌫',
  cursor: 'crosshair',
  press: (p, { brushRadius }) => ({ stroke: [[p.x, p.y]], radius: brushRadius }),
  drag: (d, p, { scale }) => ({ ...d, stroke: extendStroke(d.stroke, p, scale) }),
  release: (d) => ({ kind: 'erase', stroke: d.stroke, radius: d.radius }),
  preview: (d) => ({ stroke: { points: d.stroke, radius: d.radius, erase: true } }),
};
