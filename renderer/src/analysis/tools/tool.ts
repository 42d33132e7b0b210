// One interface for the drag tools (press, drag, release): each tool is a file of its own here, pure (no DOM,
// level-0 pixels throughout), so its geometry is unit-tested; the analysis layer feeds it pointer positions
// and draws its preview. Click tools (polygon, point) and select stay in the layer.
import type { AnnotationGeometry } from '../../../../main/contracts/tessera-api';

export type Xy = { x: number; y: number };

export interface ToolContext {
  /** Screen px per level-0 px. */
  scale: number;
  /** The slide's level-0 µm per pixel, null when unknown. */
  mpp: { x: number; y: number } | null;
  /** The brush's radius in level-0 px. */
  brushRadius: number;
  /** Shift held: constrain (an ellipse becomes a circle). */
  shift?: boolean;
}

/** What a tool shows while it drags: a draft shape, a painted stroke, a measurement label. */
export interface ToolPreview {
  shape?: AnnotationGeometry;
  stroke?: { points: [number, number][]; radius: number; erase?: boolean };
  label?: { x: number; y: number; text: string };
}

/** What a finished drag does: add a shape, or erase a stroke out of the areas under it. */
export type ToolResult =
  | { kind: 'add'; geometry: AnnotationGeometry }
  | { kind: 'erase'; stroke: [number, number][]; radius: number };

export interface DragTool<S = unknown> {
  id: string;
  /** Keyboard shortcut (lower case). */
  key: string;
  label: string;
  icon: string;
  cursor: string;
  press(p: Xy, ctx: ToolContext): S;
  drag(state: S, p: Xy, ctx: ToolContext): S;
  release(state: S, ctx: ToolContext): ToolResult | null;
  preview(state: S, ctx: ToolContext): ToolPreview;
}

/** A tool with its state type hidden, as the layer holds it. */
export type AnyDragTool = DragTool<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A stroke point is kept when it is this many screen px from the last. */
export const STROKE_STEP_PX = 2;

export function extendStroke(stroke: [number, number][], p: Xy, scale: number): [number, number][] {
  const last = stroke[stroke.length - 1];
  if (!last || Math.hypot(p.x - last[0], p.y - last[1]) * scale >= STROKE_STEP_PX) stroke.push([p.x, p.y]);
  return stroke;
}
