// The drag tools, by id.
import { brushTool } from './brush';
import { ellipseTool } from './ellipse';
import { eraserTool } from './eraser';
import { rectangleTool } from './rectangle';
import { rulerTool } from './ruler';
import type { AnyDragTool } from './tool';

export const dragTools: readonly AnyDragTool[] = [rectangleTool, ellipseTool, brushTool, rulerTool, eraserTool];

export function dragTool(id: string): AnyDragTool | undefined {
  return dragTools.find((t) => t.id === id);
}
