// Thresholded class regions as QuPath-importable GeoJSON: one annotation Feature per connected polygon.
import type { Feature, FeatureCollection } from 'geojson';
import type { Rgb } from '../annotations/annotation-model.js';
import type { ProbabilityRaster } from '../heatmap/probability-raster.js';
import { thresholdContours } from '../heatmap/threshold-contours.js';

export function regionsGeoJson(r: ProbabilityRaster, threshold: number, colour: Rgb): FeatureCollection {
  const shape = thresholdContours(r, threshold);
  const features: Feature[] = (shape?.coordinates ?? []).map((polygon, i) => ({
    type: 'Feature',
    id: `${r.className}-${threshold}-${i}`,
    geometry: { type: 'Polygon', coordinates: polygon },
    properties: { objectType: 'annotation', name: `${r.className} ≥ ${threshold}`, classification: { name: r.className, color: colour }, isLocked: false },
  }));
  return { type: 'FeatureCollection', features };
}
