// Regions where a class's probability reaches a threshold, as polygons with holes in level-0 px
// (marching squares, d3-contour, on the patch grid).
import { contours } from 'd3-contour';
import type { MultiPolygon } from 'geojson';
import type { ProbabilityRaster } from './probability-raster.js';

/**
 * d3-contour puts cell (i, j) at [i, i+1] × [j, j+1], so scaling by the cell size and adding the raster's
 * offset gives level-0 px.
 * Unscored cells count as 0. Returns null when nothing reaches the threshold.
 */
export function thresholdContours(r: ProbabilityRaster, threshold: number): MultiPolygon | null {
  const values = Array.from(r.values, (v) => (Number.isNaN(v) ? 0 : v));
  const [shape] = contours().size([r.width, r.height]).thresholds([threshold])(values);
  if (!shape || shape.coordinates.length === 0) return null;
  const s = r.cellSize;
  const o = r.offset;
  return {
    type: 'MultiPolygon',
    coordinates: shape.coordinates.map((polygon) => polygon.map((ring) => ring.map(([x, y]) => [x * s + o, y * s + o]))),
  };
}
