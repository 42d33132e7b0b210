// How annotations look on the annotation canvas: shapes (areas filled and outlined, lines with their length,
// points as dots), the draft of a drag tool, vertex handles and measurement labels. Drawn in level-0
// coordinates under the canvas's view transform; line widths and handles stay a fixed size on screen.
import type { AnnotationGeometry } from '../../../main/contracts/tessera-api';
import { vertices } from './geometry-edit';
import { lineLengthLabel } from './tools/ruler';
import type { ToolPreview } from './tools/tool';

/** Vertex handle side in screen px. */
export const HANDLE = 7;

export const rgba = (c: readonly number[], a: number): string => `rgba(${c[0]},${c[1]},${c[2]},${a})`;

/** The view: level-0 px → element px is (x·scale + ox, y·scale + oy), at `dpr` canvas px per element px. */
export interface PainterView {
  dpr: number;
  scale: number;
  ox: number;
  oy: number;
}

function tracePath(ctx: CanvasRenderingContext2D, g: AnnotationGeometry): void {
  const ring = (r: readonly (readonly [number, number])[]) => {
    r.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
    ctx.closePath();
  };
  if (g.type === 'rectangle') ctx.rect(g.x, g.y, g.width, g.height);
  else if (g.type === 'polygon') g.rings.forEach(ring);
  else if (g.type === 'multipolygon') g.polygons.forEach((p) => p.forEach(ring));
}

export class AnnotationPainter {
  /** The measurement labels drawn this frame (the canvas reports them to tests). */
  labelsDrawn: string[] = [];

  constructor(
    private readonly canvas: HTMLCanvasElement,
    /** The slide's µm/px (lengths in px without one). */
    private readonly mpp: { x: number; y: number } | null,
    private readonly view: () => PainterView,
  ) {}

  shape(ctx: CanvasRenderingContext2D, g: AnnotationGeometry, colour: readonly number[], selected: boolean, draft = false): void {
    const px = 1 / this.view().scale;
    if (g.type === 'point' || g.type === 'points') {
      const pts = g.type === 'point' ? [[g.x, g.y]] : g.points;
      for (const [x, y] of pts) {
        ctx.beginPath();
        ctx.arc(x, y, (selected ? 7 : 5.5) * px, 0, 2 * Math.PI);
        ctx.fillStyle = rgba(colour, 0.95);
        ctx.fill();
        ctx.lineWidth = (selected ? 2.5 : 1.5) * px;
        ctx.strokeStyle = selected ? '#ffffff' : 'rgba(0,0,0,0.8)';
        ctx.stroke();
      }
      return;
    }
    if (g.type === 'line') {
      ctx.beginPath();
      g.points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.setLineDash(draft ? [6 * px, 4 * px] : []);
      ctx.lineWidth = (selected ? 3 : 2) * px;
      ctx.strokeStyle = rgba(colour, 1);
      ctx.stroke();
      ctx.setLineDash([]);
      if (!draft && g.points.length >= 2) {
        const [x, y] = g.points[g.points.length - 1];
        this.label(ctx, x, y, lineLengthLabel(g.points, this.mpp));
      }
      return;
    }
    ctx.beginPath();
    tracePath(ctx, g);
    ctx.fillStyle = rgba(colour, selected ? 0.22 : 0.12);
    ctx.fill('evenodd');
    ctx.setLineDash(draft ? [6 * px, 4 * px] : []);
    ctx.lineWidth = (selected ? 3 : 2) * px;
    ctx.strokeStyle = rgba(colour, 1);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  /** Text beside a level-0 point, drawn in screen space (a measurement). */
  label(ctx: CanvasRenderingContext2D, x: number, y: number, text: string): void {
    const { dpr, scale, ox, oy } = this.view();
    this.labelsDrawn.push(text);
    ctx.save();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = '12px system-ui, sans-serif';
    const sx = x * scale + ox + 8;
    const sy = y * scale + oy - 8;
    const w = ctx.measureText(text).width;
    ctx.fillStyle = 'rgba(20,20,24,0.8)';
    ctx.fillRect(sx - 3, sy - 13, w + 6, 17);
    ctx.fillStyle = '#ffffff';
    ctx.fillText(text, sx, sy);
    ctx.restore();
  }

  /** A drag tool's draft: its shape, brush/eraser stroke and measurement. */
  preview(ctx: CanvasRenderingContext2D, pv: ToolPreview, colour: readonly number[]): void {
    if (pv.shape) this.shape(ctx, pv.shape, colour, false, true);
    if (pv.stroke) {
      ctx.beginPath();
      pv.stroke.points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y)));
      ctx.lineCap = 'round';
      ctx.lineWidth = pv.stroke.radius * 2;
      ctx.strokeStyle = pv.stroke.erase ? 'rgba(255,255,255,0.35)' : rgba(colour, 0.35);
      ctx.stroke();
    }
    this.canvas.dataset.measure = pv.label?.text ?? '';
    if (pv.label) this.label(ctx, pv.label.x, pv.label.y, pv.label.text);
  }

  /** Vertex handles of the selected shape (none past 2,000 vertices: a brush stroke's outline). */
  handles(ctx: CanvasRenderingContext2D, g: AnnotationGeometry): void {
    const px = 1 / this.view().scale;
    const vs = vertices(g);
    if (vs.length > 2000) return;
    ctx.lineWidth = 1.2 * px;
    for (const v of vs) {
      ctx.fillStyle = '#ffffff';
      ctx.strokeStyle = '#1b1d21';
      ctx.fillRect(v.x - (HANDLE / 2) * px, v.y - (HANDLE / 2) * px, HANDLE * px, HANDLE * px);
      ctx.strokeRect(v.x - (HANDLE / 2) * px, v.y - (HANDLE / 2) * px, HANDLE * px, HANDLE * px);
    }
  }
}
