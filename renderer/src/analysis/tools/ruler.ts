// Line / ruler: drag from one end to the other; its length shows while drawing and on the saved line, in µm
// from the slide's level-0 µm/px (x and y), or in px when the slide does not say.
import type { AnnotationGeometry, Point } from '../../../../main/contracts/tessera-api';
import { lineLengthPx, lineLengthUm } from '../../../../main/common/geometry';
import type { DragTool, Xy } from './tool';

export interface LineDrag {
  start: Xy;
  end: Xy;
}

/** The length of a line as shown: "123.4 µm" (one decimal under 1000 µm), or "123 px" without an MPP. */
export function lineLengthLabel(points: readonly Point[], mpp: { x: number; y: number } | null): string {
  const g: AnnotationGeometry = { type: 'line', points: points as Point[] };
  if (mpp && mpp.x > 0 && mpp.y > 0) {
    const um = lineLengthUm(g, mpp);
    return `${um < 1000 ? um.toFixed(1) : Math.round(um)} µm`;
  }
  return `${Math.round(lineLengthPx(g))} px`;
}

/** Lines shorter than this (screen px) are a click, not a measurement. */
export const MIN_LINE_PX = 3;

const points = (d: LineDrag): Point[] => [
  [d.start.x, d.start.y],
  [d.end.x, d.end.y],
];

export const rulerTool: DragTool<LineDrag> = {
  id: 'line',
  key: 'l',
  label: 'Line / ruler (length in µm)',
  icon: '📏',
  cursor: 'crosshair',
  press: (p) => ({ start: p, end: p }),
  drag: (d, p) => ({ ...d, end: p }),
  release(d, { scale }) {
    if (Math.hypot(d.end.x - d.start.x, d.end.y - d.start.y) * scale < MIN_LINE_PX) return null;
    return { kind: 'add', geometry: { type: 'line', points: points(d) } };
  },
  preview: (d, { mpp }) => ({
    shape: { type: 'line', points: points(d) },
    label: { x: d.end.x, y: d.end.y, text: lineLengthLabel(points(d), mpp) },
  }),
};
