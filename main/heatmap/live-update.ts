// A live raster as the binary update the renderer reads (`contracts/heatmap-update.ts`): the cells changed
// since the caller's version, or every scored cell (a snapshot, with the tissue mask) when it has none, is
// behind the raster's last rebuild or its change log, or when the change covers most of the grid anyway.
import type { HeatmapProvenance } from '../contracts/analysis.js';
import { HEATMAP_LEVELS, HEATMAP_UNSCORED, type HeatmapUpdateHeader } from '../contracts/heatmap-update.js';
import { encodeHeatmapUpdate } from '../common/heatmap-update-codec.js';
import type { LiveRaster } from './live-raster.js';

export interface LiveUpdateMeta {
  slideId: string;
  probeId: string;
  probe: HeatmapProvenance;
  assumptions: string[];
  /** The mask over the grid's level-0 bounds (sent with snapshots). */
  tissue: { x: number; y: number; downsample: number; width: number; height: number; values: Uint8Array } | null;
}

export function encodeLiveUpdate(r: LiveRaster, meta: LiveUpdateMeta, since: number | null): Uint8Array {
  const delta = since === null ? null : r.changedSince(since);
  const total = r.grid.cols * r.grid.rows;
  const K = r.k;
  // A delta touching most of the grid is no smaller than a snapshot.
  const kind = delta && delta.length <= total / 2 ? 'delta' : 'snapshot';
  const scored = kind === 'delta' ? delta! : r.scoredCells();
  // A listed cell costs 4 + K bytes, a dense one K: dense pays once more than K / (4 + K) of the grid is scored.
  const dense = kind === 'snapshot' && scored.length * (4 + K) > total * K;
  const cells = dense ? Uint32Array.from({ length: total }, (_, i) => i) : scored;
  const values = new Uint8Array(cells.length * K);
  for (let i = 0; i < cells.length; i++) {
    for (let k = 0; k < K; k++) {
      const v = r.probabilities[cells[i] * K + k];
      values[i * K + k] = Number.isNaN(v) ? HEATMAP_UNSCORED : Math.round(Math.min(1, Math.max(0, v)) * HEATMAP_LEVELS);
    }
  }
  const tissue = kind === 'snapshot' ? meta.tissue : null;
  const header: HeatmapUpdateHeader = {
    kind,
    slideId: meta.slideId,
    probeId: meta.probeId,
    version: r.version,
    since: kind === 'delta' ? since! : 0,
    classNames: r.classNames,
    ...r.grid,
    scored: r.scored,
    changed: cells.length,
    dense,
    probe: meta.probe,
    assumptions: meta.assumptions,
    tissue: tissue ? { x: tissue.x, y: tissue.y, downsample: tissue.downsample, width: tissue.width, height: tissue.height } : null,
  };
  return encodeHeatmapUpdate({ header, cells, values, tissue: tissue?.values ?? null });
}
