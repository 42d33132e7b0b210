// The fixed patch grid of one magnification, aligned to the slide origin (see PatchGrid in the contract).
import type { PatchGrid } from '../contracts/embeddings.js';
import { SlideError } from '../slide/slide-errors.js';
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

/** Most patches one magnification's grid may have over a slide. */
export const maxGridPatches = 5_000_000;
/** Largest patch side (px), as model manifests allow. */
export const maxPatchSize = 4096;
/** How much finer than the slide's own level-0 resolution a grid may be (µm/px ≥ slide / 4). */
export const maxUpsampling = 4;

/**
 * Checks a grid against the slide it covers before anything is allocated for it: a finite positive
 * magnification no finer than the slide's resolution / 4, an integer patch size up to 4096 px, and at most
 * `maxGridPatches` patches over the slide. Throws a SlideError ('invalid-argument') naming the value.
 */
export function checkGrid(grid: PatchGrid, slide: SlideScale, slideWidth: number, slideHeight: number): void {
  const bad = (m: string) => new SlideError('invalid-argument', m);
  const { mpp, patchSize } = grid;
  if (typeof mpp !== 'number' || !Number.isFinite(mpp) || mpp <= 0) throw bad(`magnification ${mpp} µm/px is not a positive number`);
  const finest = slide.mpp / maxUpsampling;
  if (mpp < finest) {
    throw bad(
      `magnification ${mpp} µm/px is finer than this slide allows: its level 0 is ${slide.mpp} µm/px${slide.assumed ? ' (assumed)' : ''}, and patches may be at most ${maxUpsampling}× finer (≥ ${finest} µm/px)`,
    );
  }
  if (!Number.isInteger(patchSize) || patchSize < 1 || patchSize > maxPatchSize) throw bad(`patch size ${patchSize} px is not a whole number from 1 to ${maxPatchSize}`);
  if (!Number.isFinite(slideWidth) || !Number.isFinite(slideHeight) || slideWidth < 0 || slideHeight < 0) throw bad(`slide size ${slideWidth}×${slideHeight} is not a size`);
  const s = grid.level0Size;
  if (!Number.isFinite(s) || s <= 0) throw bad(`a ${patchSize} px patch at ${mpp} µm/px covers ${s} level-0 px`);
  const patches = Math.ceil(slideWidth / s) * Math.ceil(slideHeight / s);
  if (patches > maxGridPatches) {
    throw bad(`magnification ${mpp} µm/px with ${patchSize} px patches gives ${patches} patches over this ${slideWidth}×${slideHeight} slide, at most ${maxGridPatches} are allowed`);
  }
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
