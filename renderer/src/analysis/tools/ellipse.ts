// Ellipse: drag its bounding box (shift: a circle). Saved as the polygon approximating it
// (`drawnWith: 'ellipse'`): QuPath writes its own ellipse ROIs to GeoJSON as such a polygon and reads them
// back as polygons, so a polygon is what round-trips through QuPath (see annotation-model.ts).
import type { AnnotationGeometry, Ring } from '../../../../main/contracts/tessera-api';
import { dragBox, MIN_BOX_PX, type BoxDrag } from './rectangle';
import type { DragTool } from './tool';

/** Vertices of an ellipse's polygon: one every ~`step` level-0 px of its outline, 16 to 256. */
export function ellipseVertexCount(rx: number, ry: number, step = 4): number {
  // Ramanujan's perimeter.
  const perimeter = Math.PI * (3 * (rx + ry) - Math.sqrt((3 * rx + ry) * (rx + 3 * ry)));
  return Math.max(16, Math.min(256, Math.ceil(perimeter / Math.max(step, 1e-9))));
}

/** The ring of an axis-aligned ellipse centred on (cx, cy) with radii rx, ry: `n` vertices, clockwise on screen from 3 o'clock. */
export function ellipseRing(cx: number, cy: number, rx: number, ry: number, n = ellipseVertexCount(rx, ry)): Ring {
  const ring: Ring = [];
  for (let i = 0; i < n; i++) {
    const t = (2 * Math.PI * i) / n;
    ring.push([cx + rx * Math.cos(t), cy + ry * Math.sin(t)]);
  }
  return ring;
}

/** The ellipse inscribed in a box, as its polygon; null when the box is empty. */
export function ellipseInBox(b: { x: number; y: number; width: number; height: number }, step?: number): AnnotationGeometry | null {
  if (!(b.width > 0 && b.height > 0)) return null;
  const rx = b.width / 2;
  const ry = b.height / 2;
  return { type: 'polygon', rings: [ellipseRing(b.x + rx, b.y + ry, rx, ry, ellipseVertexCount(rx, ry, step))], drawnWith: 'ellipse' };
}

export const ellipseTool: DragTool<BoxDrag> = {
  id: 'ellipse',
  key: 'e',
  label: 'Ellipse (shift: circle)',
  icon: '◯',
  cursor: 'crosshair',
  press: (p) => ({ start: p, end: p }),
  drag: (d, p) => ({ ...d, end: p }),
  release(d, { scale, shift }) {
    const b = dragBox(d, shift);
    if (b.width * scale < MIN_BOX_PX || b.height * scale < MIN_BOX_PX) return null;
    // One vertex every ~3 screen px at the zoom it was drawn, at most every 1 level-0 px.
    const geometry = ellipseInBox(b, Math.max(1, 3 / scale));
    return geometry ? { kind: 'add', geometry } : null;
  },
  preview(d, { scale, shift }) {
    const shape = ellipseInBox(dragBox(d, shift), Math.max(1, 3 / scale));
    return shape ? { shape } : {};
  },
};
