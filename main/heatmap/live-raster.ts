// A probability raster per (slide, probe) that grows batch by batch while the slide is embedded: every
// class's probability per cell of the whole-slide grid (as `probability-raster.ts` lays cells out: cell
// centres are patch centres), a version bumped by each change, and a bounded log of which cells each
// version changed, so "what changed since v" costs the change, not the slide.
import type { HeatmapGrid } from '../contracts/heatmap-update.js';

/** The grid a live raster is laid on (the update's grid). */
export type LiveGrid = HeatmapGrid;

/** Versions whose changed cells are kept; a caller further behind gets a snapshot. */
const HISTORY = 1024;

export class LiveRaster {
  /** [cols · rows · K], cell-major, NaN where unscored. */
  readonly probabilities: Float32Array;
  readonly k: number;
  version = 0;
  /** Versions up to this one are covered only by a snapshot (the raster was (re)built then). */
  base = 0;
  scored = 0;
  private readonly log: { version: number; cells: Uint32Array }[] = [];

  constructor(
    readonly grid: LiveGrid,
    readonly classNames: string[],
  ) {
    this.k = classNames.length;
    this.probabilities = new Float32Array(grid.cols * grid.rows * this.k).fill(NaN);
  }

  /** Cell index of the patch with top-left level-0 (x, y), or -1 off the grid. */
  cellOf(x: number, y: number): number {
    const c = Math.round(x / this.grid.cellSize);
    const r = Math.round(y / this.grid.cellSize);
    return c >= 0 && r >= 0 && c < this.grid.cols && r < this.grid.rows ? r * this.grid.cols + c : -1;
  }

  /**
   * Sets patches (top-left coords [n·2], probabilities [n·K]); cells whose values do not change are not
   * logged, so applying a batch twice is harmless. Returns the cells changed.
   */
  set(coords: Int32Array, probabilities: Float32Array): number {
    const K = this.k;
    const changed: number[] = [];
    for (let i = 0; i < coords.length / 2; i++) {
      const cell = this.cellOf(coords[2 * i], coords[2 * i + 1]);
      if (cell < 0) continue;
      let differs = false;
      const at = cell * K;
      const wasScored = !Number.isNaN(this.probabilities[at]);
      for (let k = 0; k < K; k++) {
        const v = probabilities[i * K + k];
        const old = this.probabilities[at + k];
        if (!(v === old || (Number.isNaN(v) && Number.isNaN(old)))) {
          differs = true;
          this.probabilities[at + k] = v;
        }
      }
      if (!differs) continue;
      const isScored = !Number.isNaN(this.probabilities[at]);
      this.scored += (isScored ? 1 : 0) - (wasScored ? 1 : 0);
      changed.push(cell);
    }
    if (changed.length > 0) {
      this.version++;
      this.log.push({ version: this.version, cells: Uint32Array.from(changed) });
      if (this.log.length > HISTORY) this.log.shift();
    }
    return changed.length;
  }

  /**
   * Replaces every cell by a full recompute (patches not listed become unscored), logging only the cells
   * whose values differ: a rebuild reaches the renderer as a delta too. Returns the cells changed.
   */
  replace(coords: Int32Array, probabilities: Float32Array): number {
    const K = this.k;
    const next = new Float32Array(this.probabilities.length).fill(NaN);
    for (let i = 0; i < coords.length / 2; i++) {
      const cell = this.cellOf(coords[2 * i], coords[2 * i + 1]);
      if (cell >= 0) next.set(probabilities.subarray(i * K, (i + 1) * K), cell * K);
    }
    const changed: number[] = [];
    for (let cell = 0; cell < this.grid.cols * this.grid.rows; cell++) {
      for (let k = 0; k < K; k++) {
        const a = next[cell * K + k];
        const b = this.probabilities[cell * K + k];
        if (!(a === b || (Number.isNaN(a) && Number.isNaN(b)))) {
          changed.push(cell);
          break;
        }
      }
    }
    if (changed.length === 0) return 0;
    for (const cell of changed) {
      const wasScored = !Number.isNaN(this.probabilities[cell * K]);
      const isScored = !Number.isNaN(next[cell * K]);
      this.scored += (isScored ? 1 : 0) - (wasScored ? 1 : 0);
    }
    this.probabilities.set(next);
    this.version++;
    this.log.push({ version: this.version, cells: Uint32Array.from(changed) });
    if (this.log.length > HISTORY) this.log.shift();
    return changed.length;
  }

  /** Marks the raster as rebuilt: callers behind this version get a snapshot. */
  rebase(): void {
    this.version++;
    this.base = this.version;
    this.log.length = 0;
  }

  /** Cells changed after version `since` (ascending, each once), or null when only a snapshot can say. */
  changedSince(since: number): Uint32Array | null {
    if (!Number.isInteger(since) || since < this.base || since > this.version) return null;
    if (since === this.version) return new Uint32Array(0);
    const first = this.log.findIndex((e) => e.version > since);
    // The log must reach back to since + 1, else some change was dropped from it.
    if (first < 0 || this.log[first].version !== since + 1) return null;
    const cells = new Set<number>();
    for (let i = first; i < this.log.length; i++) for (const c of this.log[i].cells) cells.add(c);
    return Uint32Array.from(cells).sort();
  }

  /** Every scored cell, ascending. */
  scoredCells(): Uint32Array {
    const out = new Uint32Array(this.scored);
    let n = 0;
    for (let cell = 0; cell < this.grid.cols * this.grid.rows && n < out.length; cell++)
      if (!Number.isNaN(this.probabilities[cell * this.k])) out[n++] = cell;
    return out.subarray(0, n);
  }
}
