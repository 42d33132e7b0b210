// The renderer's copy of a live heatmap: every class's byte per cell of the whole-slide grid, kept up to date
// from the services' binary updates (a snapshot, then deltas since the version held), and the pure colouring
// of one class into RGBA pixels, of the cells an update changed or of all of them. No DOM: unit-tested.
import type { HeatmapProvenance, HeatmapUpdate, HeatmapUpdateHeader } from '../../../main/contracts/tessera-api';
import { HEATMAP_LEVELS, HEATMAP_UNSCORED, type HeatmapGrid } from '../../../main/contracts/heatmap-update';
import { opacityRamp } from '../../../main/common/colour-maps';

/** What the panel, legend and export dialog read of the heatmap shown. */
export interface HeatmapView extends HeatmapGrid {
  slideId: string;
  probeId: string;
  classNames: string[];
  scored: number;
  version: number;
  probe: HeatmapProvenance;
  assumptions: string[];
  tissue: HeatmapUpdateHeader['tissue'];
}

export class HeldHeatmap {
  header: HeatmapUpdateHeader | null = null;
  /** [cols · rows · K], cell-major: probability × 250, 255 unscored. */
  values = new Uint8Array(0);
  tissue: Uint8Array | null = null;
  /** Snapshots applied: a new one may bring a new mask and geometry. */
  generation = 0;

  get version(): number | undefined {
    return this.header?.version;
  }

  /**
   * Applies an update: the cells it changed, or null when it replaced everything (a snapshot). A delta for
   * another version than the one held is refused (false), and the caller asks again from scratch.
   */
  apply(u: HeatmapUpdate): Uint32Array | null | false {
    const h = u.header;
    const K = h.classNames.length;
    if (h.kind === 'snapshot') {
      this.values = new Uint8Array(h.cols * h.rows * K).fill(HEATMAP_UNSCORED);
      this.tissue = u.tissue ? u.tissue.slice() : null;
      this.generation++;
    } else if (!this.header || h.since !== this.header.version || h.probeId !== this.header.probeId || h.slideId !== this.header.slideId || this.values.length !== h.cols * h.rows * K) {
      return false;
    }
    for (let i = 0; i < u.cells.length; i++) this.values.set(u.values.subarray(i * K, (i + 1) * K), u.cells[i] * K);
    this.header = h.kind === 'snapshot' ? h : { ...h, tissue: this.header!.tissue };
    return h.kind === 'snapshot' ? null : u.cells;
  }

  view(): HeatmapView | null {
    const h = this.header;
    if (!h) return null;
    const { slideId, probeId, classNames, cols, rows, cellSize, cellOffset, patchSize, mpp, scored, version, probe, assumptions, tissue } = h;
    return { slideId, probeId, classNames, cols, rows, cellSize, cellOffset, patchSize, mpp, scored, version, probe, assumptions, tissue };
  }
}

export interface Colouring {
  /** 256 RGB entries. */
  lut: Uint8Array;
  /** 0–1: cells below are transparent. */
  threshold: number;
  /** Alpha ramps up from the threshold. */
  ramp: boolean;
}

/**
 * Colours class `k` of `held` into `rgba` (cols · rows pixels): the cells listed, or every cell (null).
 * Unscored cells and cells under the threshold are transparent.
 */
export function paintClass(rgba: Uint8ClampedArray, held: HeldHeatmap, k: number, cells: ArrayLike<number> | null, c: Colouring): void {
  const h = held.header;
  if (!h) return;
  const K = h.classNames.length;
  const min = Math.round(c.threshold * HEATMAP_LEVELS);
  const n = cells ? cells.length : h.cols * h.rows;
  for (let i = 0; i < n; i++) {
    const cell = cells ? cells[i] : i;
    const v = held.values[cell * K + k];
    const p = 4 * cell;
    if (v === HEATMAP_UNSCORED || v < min) {
      rgba[p] = rgba[p + 1] = rgba[p + 2] = rgba[p + 3] = 0;
      continue;
    }
    const e = Math.round((v / HEATMAP_LEVELS) * 255) * 3;
    rgba[p] = c.lut[e];
    rgba[p + 1] = c.lut[e + 1];
    rgba[p + 2] = c.lut[e + 2];
    rgba[p + 3] = c.ramp ? Math.round(255 * opacityRamp(v / HEATMAP_LEVELS, c.threshold)) : 255;
  }
}

/** The mask as alpha (255 on tissue), for cutting the heatmap to tissue. */
export function tissueAlpha(mask: Uint8Array, rgba: Uint8ClampedArray): void {
  for (let i = 0; i < mask.length; i++) rgba[4 * i + 3] = mask[i] ? 255 : 0;
}
