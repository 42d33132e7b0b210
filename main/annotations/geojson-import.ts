// QuPath-compatible GeoJSON import: a FeatureCollection (or Feature, or array of Features) in level-0 px,
// `properties.classification {name, color | colorRGB}`, `isLocked`, Polygon/MultiPolygon/Point/MultiPoint/LineString.
// Coordinates are checked by the shared geometry schemas (main/common/schemas/geometry.ts): the same rules as
// the API and Tessera's own file, and messages that name the position, e.g. `coordinates[0][3]`.
import * as v from 'valibot';
import {
  linePointsSchema,
  polygonRingsSchema,
  polygonsSchema,
  positionSchema,
} from '../common/schemas/geometry.js';
import { describeIssue, fieldLabel, firstIssueOnly, preview } from '../common/schemas/issues.js';
import { AnnotationImportError, type ImportedAnnotations } from './annotation-import-error.js';
import { ringSelfIntersects } from './geometry.js';
import { newAnnotationId, type Annotation, type AnnotationClass, type AnnotationGeometry, type Point, type Rgb } from './annotation-model.js';

export const unclassified = 'Unclassified';

export function importGeoJson(text: string): ImportedAnnotations {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new AnnotationImportError('geojson', 'document', `not JSON (${(err as Error).message})`);
  }
  const features = featureList(root);
  const annotations: Annotation[] = [];
  const classes = new Map<string, AnnotationClass>();
  const warnings: string[] = [];
  features.forEach((f, i) => {
    const where = `feature ${i}${f && typeof f === 'object' && 'id' in f ? ` (id ${String((f as { id: unknown }).id)})` : ''}`;
    const fail = (problem: string): never => {
      throw new AnnotationImportError('geojson', where, problem);
    };
    if (!f || typeof f !== 'object' || (f as { type?: unknown }).type !== 'Feature') fail('is not a GeoJSON Feature');
    const feature = f as { id?: unknown; geometry?: unknown; properties?: Record<string, unknown> | null };
    const props = feature.properties ?? {};
    if (typeof props !== 'object') fail('properties is not an object');
    const objectType = props.objectType ?? 'annotation';
    if (objectType !== 'annotation') {
      warnings.push(`${where}: skipped a QuPath ${String(objectType)} (only annotations are imported)`);
      return;
    }
    const geometry = readGeometry(feature.geometry, fail, (w) => warnings.push(`${where}: ${w}`));
    if (!geometry) return;
    const cls = readClassification(props.classification, fail);
    if (!classes.has(cls.name) && cls.colour) classes.set(cls.name, { name: cls.name, colour: cls.colour });
    if (!classes.has(cls.name)) classes.set(cls.name, { name: cls.name, colour: [128, 128, 128] });
    const annotation: Annotation = {
      id: typeof feature.id === 'string' && feature.id ? feature.id : typeof feature.id === 'number' ? String(feature.id) : newAnnotationId(),
      className: cls.name,
      geometry,
    };
    if (typeof props.name === 'string') annotation.name = props.name;
    if (props.isLocked === true) annotation.locked = true;
    if (props.color !== undefined) annotation.colour = readColour(props.color, fail, 'properties.color');
    annotations.push(annotation);
  });
  return { annotations, classes: [...classes.values()], warnings };
}

function featureList(root: unknown): unknown[] {
  if (Array.isArray(root)) return root;
  const r = root as { type?: unknown; features?: unknown } | null;
  if (r?.type === 'FeatureCollection') {
    if (!Array.isArray(r.features)) throw new AnnotationImportError('geojson', 'document', 'FeatureCollection has no features array');
    return r.features;
  }
  if (r?.type === 'Feature') return [r];
  throw new AnnotationImportError('geojson', 'document', `expected a FeatureCollection, Feature or array of Features, got ${r && typeof r === 'object' ? `type ${JSON.stringify(r.type)}` : typeof root}`);
}

function readClassification(c: unknown, fail: (p: string) => never): { name: string; colour?: Rgb } {
  if (c === undefined || c === null) return { name: unclassified };
  if (typeof c === 'string') return { name: c };
  const o = c as { name?: unknown; names?: unknown; color?: unknown; colorRGB?: unknown };
  if (typeof o !== 'object') fail('classification must be an object {name, color}');
  // QuPath writes derived classes as `names: [...]` and `name: "A: B"`.
  const name = typeof o.name === 'string' ? o.name : Array.isArray(o.names) ? o.names.join(': ') : fail('classification has no name');
  if (o.color !== undefined) return { name, colour: readColour(o.color, fail, 'classification.color') };
  if (typeof o.colorRGB === 'number') return { name, colour: [(o.colorRGB >> 16) & 255, (o.colorRGB >> 8) & 255, o.colorRGB & 255] };
  return { name };
}

function readColour(c: unknown, fail: (p: string) => never, what: string): Rgb {
  if (!Array.isArray(c) || c.length < 3 || !c.slice(0, 3).every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    fail(`${what} must be [r, g, b] with integers 0–255, got ${JSON.stringify(c)}`);
  }
  return [c[0], c[1], c[2]];
}

/** How deep GeoJSON may nest: MultiPolygon coordinates are 4 arrays deep, GeometryCollections rarely nest at all. */
const MAX_COLLECTION_DEPTH = 16;

function readGeometry(g: unknown, fail: (p: string) => never, warn: (w: string) => void, depth = 0): AnnotationGeometry | null {
  const geom = g as { type?: unknown; coordinates?: unknown; geometries?: unknown } | null;
  if (!geom || typeof geom !== 'object') fail('has no geometry');
  if (depth > MAX_COLLECTION_DEPTH) fail(`has GeometryCollections nested more than ${MAX_COLLECTION_DEPTH} deep`);
  /** The coordinates as `schema` reads them, or a failure naming the position (`coordinates[0][3] is …`). */
  const read = <S extends v.GenericSchema>(schema: S, c: unknown): v.InferOutput<S> => {
    const r = v.safeParse(schema, c, firstIssueOnly);
    return r.success ? r.output : fail(describeIssue(r.issues[0], fieldLabel, 'coordinates'));
  };
  // Self-intersection is allowed (QuPath can draw a bow tie) but said, since its area is then ambiguous.
  const warnCrossing = (rings: Point[][], path: string) =>
    rings.forEach((r, i) => {
      if (ringSelfIntersects(r)) warn(`${path}[${i}] crosses itself (a self-intersecting ring): imported as drawn; its area and inside may not be what was meant`);
    });
  const c = geom.coordinates;
  switch (geom.type) {
    case 'Polygon': {
      const rings = read(polygonRingsSchema, c);
      warnCrossing(rings, 'coordinates');
      return { type: 'polygon', rings };
    }
    case 'MultiPolygon': {
      const polygons = read(polygonsSchema, c);
      polygons.forEach((rings, i) => warnCrossing(rings, `coordinates[${i}]`));
      return { type: 'multipolygon', polygons };
    }
    case 'Point': {
      const [x, y] = read(positionSchema, c);
      return { type: 'point', x, y };
    }
    case 'MultiPoint': {
      const points = read(v.array(positionSchema, 'is not a list of positions'), c);
      // A point set needs a point: an empty MultiPoint (which older Tessera imported as an empty set) is skipped.
      if (points.length === 0) {
        warn('skipped an empty MultiPoint (no positions)');
        return null;
      }
      return { type: 'points', points };
    }
    case 'LineString':
      return { type: 'line', points: read(linePointsSchema, c) };
    case 'MultiLineString':
      warn(`skipped a ${geom.type} (line annotations are not supported)`);
      return null;
    case 'GeometryCollection': {
      if (!Array.isArray(geom.geometries)) fail('GeometryCollection has no geometries');
      const polys: Point[][][] = [];
      for (const part of geom.geometries as unknown[]) {
        const sub = readGeometry(part, fail, warn, depth + 1);
        if (sub?.type === 'polygon') polys.push(sub.rings);
        else if (sub?.type === 'multipolygon') polys.push(...sub.polygons);
        else if (sub) warn(`dropped a ${sub.type} inside a GeometryCollection`);
      }
      if (polys.length === 0) return null;
      return polys.length === 1 ? { type: 'polygon', rings: polys[0] } : { type: 'multipolygon', polygons: polys };
    }
    default:
      return fail(`unsupported geometry type ${preview(geom.type)}`);
  }
}
