// QuPath-compatible GeoJSON export: one Feature per annotation, level-0 px, classification {name, color}.
// Lines are LineStrings (QuPath's line ROI); ellipses are the Polygon approximating them, as QuPath writes
// its own ellipse ROIs (it reads them back as polygons, so no ellipse ROI type survives GeoJSON anyway).
import type { Feature, FeatureCollection, Geometry, Position } from 'geojson';
import { annotationColour } from './annotation-classes.js';
import type { Annotation, AnnotationDocument, AnnotationGeometry, Ring } from './annotation-model.js';

export function toGeoJsonGeometry(g: AnnotationGeometry): Geometry {
  const closed = (r: Ring): Position[] => [...r.map((p) => [p[0], p[1]]), [r[0][0], r[0][1]]];
  switch (g.type) {
    case 'rectangle': {
      const { x, y, width: w, height: h } = g;
      return { type: 'Polygon', coordinates: [closed([[x, y], [x + w, y], [x + w, y + h], [x, y + h]])] };
    }
    case 'polygon':
      return { type: 'Polygon', coordinates: g.rings.map(closed) };
    case 'multipolygon':
      return { type: 'MultiPolygon', coordinates: g.polygons.map((p) => p.map(closed)) };
    case 'point':
      return { type: 'Point', coordinates: [g.x, g.y] };
    case 'points':
      return { type: 'MultiPoint', coordinates: g.points.map((p) => [p[0], p[1]]) };
    case 'line':
      return { type: 'LineString', coordinates: g.points.map((p) => [p[0], p[1]]) };
  }
}

export function annotationToFeature(doc: AnnotationDocument, a: Annotation): Feature {
  const properties: Record<string, unknown> = {
    objectType: 'annotation',
    classification: { name: a.className, color: annotationColour(doc, { className: a.className }) },
  };
  if (a.name !== undefined) properties.name = a.name;
  if (a.colour) properties.color = a.colour;
  if (a.locked) properties.isLocked = true;
  return { type: 'Feature', id: a.id, geometry: toGeoJsonGeometry(a.geometry), properties };
}

export function exportGeoJson(doc: AnnotationDocument, annotations: readonly Annotation[] = doc.annotations): FeatureCollection {
  return { type: 'FeatureCollection', features: annotations.map((a) => annotationToFeature(doc, a)) };
}
