// The fixed patch grid of one magnification, aligned to the slide origin (see PatchGrid in the contract).
import type { PatchGrid } from '../contracts/embeddings.js';
import { assumedMpp } from '../contracts/tessera-api.js';
import { gridStep } from '../common/grid-step.js';
import { SlideError } from '../slide/slide-errors.js';
import type { SlideReader } from '../slide/slide-reader.js';

/** What Tessera assumes when a slide does not state its scale: level 0 scanned at 20× (0.5 µm/px). */
export const assumedSlideMpp = assumedMpp;

export interface SlideScale {
  /** Level-0 µm per pixel. */
  mpp: number;
  /** True when the slide does not say and `assumedSlideMpp` is used. */
  assumed: boolean;
  /**
   * Where `mpp` comes from: the slide file, the pixel size the user set for this slide (kept per slide
   * content, `slide/slide-pixel-size.ts`), a `--mpp-override` of this run, or `assumedSlideMpp`.
   */
  source?: 'slide' | 'user' | 'override' | 'assumed';
}

/** The slide's scale: `given` (the user's stored value or a CLI override) first, else the file's, else assumed. */
export function slideScale(reader: Pick<SlideReader, 'mpp'>, given?: { mpp: number; source: 'user' | 'override' } | null): SlideScale {
  if (given && Number.isFinite(given.mpp) && given.mpp > 0) return { mpp: given.mpp, assumed: false, source: given.source };
  const m = reader.mpp;
  if (m && Number.isFinite(m.x) && m.x > 0) return { mpp: (m.x + (Number.isFinite(m.y) && m.y > 0 ? m.y : m.x)) / 2, assumed: false, source: 'slide' };
  return { mpp: assumedSlideMpp, assumed: true, source: 'assumed' };
}

/**
 * The grid of `patchSize` px patches at `mpp` µm/px, origins every `stride` px (at the grid's mpp; default
 * `patchSize`: patches do not overlap). A stride of half the patch (`overlappingStride`) gives 4× the patches
 * and 2× the heatmap resolution; every patch of the non-overlapping grid is also on it (same origins).
 */
export function patchGrid(mpp: number, slide: SlideScale, patchSize = 224, stride = patchSize): PatchGrid {
  const grid: PatchGrid = { mpp, patchSize, level0Size: (patchSize * mpp) / slide.mpp };
  if (stride !== patchSize) grid.level0Stride = (stride * mpp) / slide.mpp;
  return grid;
}

export { gridStep };

/** The app's stride for probes and heatmaps (half the patch, rounded), and `tessera probe train` / `heatmap`'s default. */
export function overlappingStride(patchSize: number): number {
  return Math.max(1, Math.round(patchSize / 2));
}

/** Whether the level-0 corner (x, y) is the origin of a patch of `grid` (patches of another stride are not). */
export function onGrid(grid: Pick<PatchGrid, 'level0Size' | 'level0Stride'>, x: number, y: number): boolean {
  const t = gridStep(grid);
  return Math.round(Math.round(x / t) * t) === x && Math.round(Math.round(y / t) * t) === y;
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
  const stride = grid.level0Stride === undefined ? patchSize : (grid.level0Stride * patchSize) / grid.level0Size;
  if (!Number.isFinite(stride) || stride < 1 || stride > patchSize + 1e-9) throw bad(`stride ${stride} px is not from 1 px to the patch size (${patchSize} px)`);
  if (!Number.isFinite(slideWidth) || !Number.isFinite(slideHeight) || slideWidth < 0 || slideHeight < 0) throw bad(`slide size ${slideWidth}×${slideHeight} is not a size`);
  const s = grid.level0Size;
  if (!Number.isFinite(s) || s <= 0) throw bad(`a ${patchSize} px patch at ${mpp} µm/px covers ${s} level-0 px`);
  const t = gridStep(grid);
  const patches = Math.ceil(slideWidth / t) * Math.ceil(slideHeight / t);
  if (patches > maxGridPatches) {
    throw bad(`magnification ${mpp} µm/px with ${patchSize} px patches${t !== s ? ` every ${Math.round(stride)} px` : ''} gives ${patches} patches over this ${slideWidth}×${slideHeight} slide, at most ${maxGridPatches} are allowed`);
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
  const t = gridStep(grid);
  return [Math.round(i * t), Math.round(j * t)];
}

/** Grid cells (i, j) of the patches that overlap `rect` and the slide's level-0 bounds, row by row. */
export function cellsInRect(grid: PatchGrid, rect: Rect, slideWidth: number, slideHeight: number): [number, number][] {
  const s = grid.level0Size;
  const t = gridStep(grid);
  const x0 = Math.max(0, rect.x);
  const y0 = Math.max(0, rect.y);
  const x1 = Math.min(slideWidth, rect.x + rect.width);
  const y1 = Math.min(slideHeight, rect.y + rect.height);
  const out: [number, number][] = [];
  if (x1 <= x0 || y1 <= y0) return out;
  // Patch i covers [i·t, i·t + s): it overlaps [x0, x1) when i·t < x1 and i·t + s > x0.
  const first = (v: number) => (t === s ? Math.floor(v / s) : Math.max(0, Math.floor((v - s) / t) + 1));
  for (let j = first(y0); j * t < y1; j++) for (let i = first(x0); i * t < x1; i++) out.push([i, j]);
  return out;
}

/** Reorders [n·2] corners by distance of the patch from the centre of `rect` (in place). */
export function sortCentreFirst(coords: Int32Array, rect: Rect, patchLevel0Size = 0): void {
  const cx = rect.x + rect.width / 2 - patchLevel0Size / 2;
  const cy = rect.y + rect.height / 2 - patchLevel0Size / 2;
  const n = coords.length / 2;
  const idx = Array.from({ length: n }, (_, i) => i);
  const d = (i: number) => (coords[2 * i] - cx) ** 2 + (coords[2 * i + 1] - cy) ** 2;
  idx.sort((a, b) => d(a) - d(b));
  const copy = coords.slice();
  idx.forEach((i, k) => {
    coords[2 * k] = copy[2 * i];
    coords[2 * k + 1] = copy[2 * i + 1];
  });
}
