// Rectangle: drag one corner to the opposite one.
import type { AnnotationGeometry } from '../../../../main/contracts/tessera-api';
import type { DragTool, Xy } from './tool';

export interface BoxDrag {
  start: Xy;
  end: Xy;
}

/** The axis-aligned box of a drag (with shift a square, from the start corner). */
export function dragBox(d: BoxDrag, square = false): { x: number; y: number; width: number; height: number } {
  let w = d.end.x - d.start.x;
  let h = d.end.y - d.start.y;
  if (square) {
    const s = Math.max(Math.abs(w), Math.abs(h));
    w = Math.sign(w || 1) * s;
    h = Math.sign(h || 1) * s;
  }
  return { x: Math.min(d.start.x, d.start.x + w), y: Math.min(d.start.y, d.start.y + h), width: Math.abs(w), height: Math.abs(h) };
}

/** Boxes smaller than this (screen px) on either side are a slip, not a shape. */
export const MIN_BOX_PX = 4;

export const rectangleTool: DragTool<BoxDrag> = {
  id: 'rectangle',
  key: 'r',
  label: 'Rectangle',
  icon: '▭',
  cursor: 'crosshair',
  press: (p) => ({ start: p, end: p }),
  drag: (d, p) => ({ ...d, end: p }),
  release(d, { scale, shift }) {
    const b = dragBox(d, shift);
    if (b.width * scale < MIN_BOX_PX || b.height * scale < MIN_BOX_PX) return null;
    const geometry: AnnotationGeometry = { type: 'rectangle', ...b };
    return { kind: 'add', geometry };
  },
  preview: (d, { shift }) => ({ shape: { type: 'rectangle', ...dragBox(d, shift) } }),
};
