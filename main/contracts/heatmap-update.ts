// The binary heatmap update: what changed in a (slide, probe)'s probability raster since a version, all
// classes at once, so the renderer switches the shown class without asking again. Encoded and decoded by
// `main/common/heatmap-update-codec.ts` (the one codec both sides use); carried as bytes: a `Uint8Array`
// through Electron IPC (structured clone), `GET /heatmap/<slideId>/<probeId>?since=<v>` in the browser host.
//
// Layout (little-endian, as every platform Tessera runs on):
//   bytes 0–3    magic "THU1"
//   bytes 4–7    u32 H: byte length of the header
//   8 … 8+H      the header, UTF-8 JSON (`HeatmapUpdateHeader`), then zero padding to a multiple of 4
//   then         u32[changed]       cell indices (row · cols + col on the whole-slide grid), ascending;
//                                   absent when `dense` (then the cells are all of them, 0 … cols·rows − 1)
//   then         u8[changed · K]    per cell its K class probabilities × 250 (0–250), 255 = unscored; K = classNames.length
//   then         u8[w · h]          snapshots only, when `tissue` is set: the tissue mask (1 tissue, 0 glass)
import type { HeatmapProvenance } from './analysis.js';

export const HEATMAP_UPDATE_MAGIC = 'THU1';
/** Probability levels: a byte v in 0–250 is probability v / 250. */
export const HEATMAP_LEVELS = 250;
/** The byte of a cell without a score (not embedded yet, or not tissue). */
export const HEATMAP_UNSCORED = 255;

export interface HeatmapUpdateRequest {
  slideId: string;
  probeId: string;
  /** The version the caller holds; absent (or one the services no longer know): a full snapshot comes back. */
  since?: number;
}

/** The whole-slide grid of a heatmap: cell (c, r) covers level-0 [cellOffset + c·cellSize, … + cellSize) in x, same in y. */
export interface HeatmapGrid {
  cols: number;
  rows: number;
  /** Cell side in level-0 px (the stride of the probe's finest grid). */
  cellSize: number;
  /** Level-0 px where cell 0 starts: (patch side − stride) / 2, so cell centres are patch centres. */
  cellOffset: number;
  /** Patch side in level-0 px. */
  patchSize: number;
  /** µm/px of the grid. */
  mpp: number;
}

export interface HeatmapUpdateHeader extends HeatmapGrid {
  /** `snapshot`: start from an all-unscored raster (geometry, provenance and tissue below are new); `delta`: apply to version `since`. */
  kind: 'snapshot' | 'delta';
  slideId: string;
  probeId: string;
  /** The version this update brings the raster to (the `since` of the next request). */
  version: number;
  /** For a delta, the version it applies to. */
  since: number;
  classNames: string[];
  /** Cells scored in the whole raster after this update. */
  scored: number;
  /** Cells carried by this update. */
  changed: number;
  /** Every cell of the grid, in order, without the index list (a snapshot of a mostly scored grid is smaller so). */
  dense: boolean;
  probe: HeatmapProvenance;
  assumptions: string[];
  /** The tissue mask bytes that follow (snapshots only; null: not known / not sent). */
  tissue: { x: number; y: number; downsample: number; width: number; height: number } | null;
}

export interface HeatmapUpdate {
  header: HeatmapUpdateHeader;
  cells: Uint32Array;
  /** [changed · K], cell-major. */
  values: Uint8Array;
  tissue: Uint8Array | null;
}
