// The fixed patch grid of one magnification, aligned to the slide origin (see PatchGrid in the contract).
import type { PatchGrid } from '../contracts/embeddings.js';
import type { SlideReader } from '../slide/slide-reader.js';

/** What Tessera assumes when a slide does not state its scale: level 0 scanned at 20× (0.5 µm/px). */
export const assumedSlideMpp = 0.5;

export interface SlideScale {
  /** Level-0 µm per pixel. */
  mpp: number;
  /** True when the slide does not say and `assumedSlideMpp` is used. */
  assumed: boolean;
}

export function slideScale(reader: Pick<SlideReader, 'mpp'>): SlideScale {
  const m = reader.mpp;
  if (m && Number.isFinite(m.x) && m.x > 0) return { mpp: (m.x + (Number.isFinite(m.y) && m.y > 0 ? m.y : m.x)) / 2, assumed: false };
  return { mpp: assumedSlideMpp, assumed: true };
}

export function patchGrid(mpp: number, slide: SlideScale, patchSize = 224): PatchGrid {
  return { mpp, patchSize, level0Size: (patchSize * mpp) / slide.mpp };
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Top-left corner (level-0 px, rounded) of patch (i, j). */
export function patchOrigin(grid: PatchGrid, i: number, j: number): [number, number] {
  return [Math.round(i * grid.level0Size), Math.round(j * grid.level0Size)];
}

/** Grid cells (i, j) of the patches that overlap `rect` and the slide's level-0 bounds, row by row. */
export function cellsInRect(grid: PatchGrid, rect: Rect, slideWidth: number, slideHeight: number): [number, number][] {
  const s = grid.level0Size;
  const x0 = Math.max(0, rect.x);
  const y0 = Math.max(0, rect.y);
  const x1 = Math.min(slideWidth, rect.x + rect.width);
  const y1 = Math.min(slideHeight, rect.y + rect.height);
  const out: [number, number][] = [];
  if (x1 <= x0 || y1 <= y0) return out;
  for (let j = Math.floor(y0 / s); j * s < y1; j++) for (let i = Math.floor(x0 / s); i * s < x1; i++) out.push([i, j]);
  return out;
}
