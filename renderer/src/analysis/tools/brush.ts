// Brush: paints a round stroke; saved as the polygon it paints (geometry-edit's brushStrokeGeometry).
import { brushStrokeGeometry } from '../geometry-edit';
import { extendStroke, type DragTool } from './tool';

export interface StrokeDrag {
  stroke: [number, number][];
  radius: number;
}

export const brushTool: DragTool<StrokeDrag> = {
  id: 'brush',
  key: 'b',
  label: 'Brush',
  icon: '●',
  cursor: 'crosshair',
  press: (p, { brushRadius }) => ({ stroke: [[p.x, p.y]], radius: brushRadius }),
  drag: (d, p, { scale }) => ({ ...d, stroke: extendStroke(d.stroke, p, scale) }),
  release(d) {
    const geometry = brushStrokeGeometry(d.stroke, d.radius);
    return geometry ? { kind: 'add', geometry } : null;
  },
  preview: (d) => ({ stroke: { points: d.stroke, radius: d.radius } }),
};
