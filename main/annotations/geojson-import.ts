// QuPath-compatible GeoJSON import: a FeatureCollection (or Feature, or array of Features) in level-0 px,
// `properties.classification {name, color | colorRGB}`, `isLocked`, Polygon/MultiPolygon/Point/MultiPoint/LineString.
import { AnnotationImportError, type ImportedAnnotations } from './annotation-import-error.js';
import { ringSelfIntersects } from './geometry.js';
import { MAX_COORDINATE } from './validate-annotation.js';
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

/** A short text of a JSON value for a message, safe on values nested arbitrarily deep. */
function preview(v: unknown): string {
  let depth = 0;
  for (let x = v; Array.isArray(x) && depth <= 8; x = x[0]) depth++;
  if (depth > 8) return 'arrays nested more than 8 deep';
  try {
    return JSON.stringify(v)?.slice(0, 60) ?? String(v);
  } catch {
    return typeof v;
  }
}

function readGeometry(g: unknown, fail: (p: string) => never, warn: (w: string) => void, depth = 0): AnnotationGeometry | null {
  const geom = g as { type?: unknown; coordinates?: unknown; geometries?: unknown } | null;
  if (!geom || typeof geom !== 'object') fail('has no geometry');
  if (depth > MAX_COLLECTION_DEPTH) fail(`has GeometryCollections nested more than ${MAX_COLLECTION_DEPTH} deep`);
  const point = (p: unknown, path: string): Point => {
    if (!Array.isArray(p) || p.length < 2 || typeof p[0] !== 'number' || typeof p[1] !== 'number' || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
      fail(`${path} is not a finite [x, y] position: ${preview(p)}`);
    }
    if (Math.abs(p[0]) > MAX_COORDINATE || Math.abs(p[1]) > MAX_COORDINATE) {
      fail(`${path} is [${p[0]}, ${p[1]}]: level-0 pixel coordinates must be finite and within ±1e9`);
    }
    return [p[0], p[1]];
  };
  const ring = (r: unknown, path: string): Point[] => {
    if (!Array.isArray(r)) fail(`${path} is not an array of positions`);
    const pts = (r as unknown[]).map((p, i) => point(p, `${path}[${i}]`));
    const last = pts[pts.length - 1];
    if (pts.length > 1 && last[0] === pts[0][0] && last[1] === pts[0][1]) pts.pop(); // GeoJSON closes rings
    if (pts.length < 3) fail(`${path} has fewer than 3 distinct positions`);
    if (ringSelfIntersects(pts)) warn(`${path} crosses itself (a self-intersecting ring): imported as drawn; its area and inside may not be what was meant`);
    return pts;
  };
  const polygon = (p: unknown, path: string): Point[][] => {
    if (!Array.isArray(p) || p.length === 0) fail(`${path} has no rings`);
    return (p as unknown[]).map((r, i) => ring(r, `${path}[${i}]`));
  };
  const c = geom.coordinates;
  switch (geom.type) {
    case 'Polygon':
      return { type: 'polygon', rings: polygon(c, 'coordinates') };
    case 'MultiPolygon':
      if (!Array.isArray(c) || c.length === 0) fail('MultiPolygon has no polygons');
      return { type: 'multipolygon', polygons: (c as unknown[]).map((p, i) => polygon(p, `coordinates[${i}]`)) };
    case 'Point': {
      const [x, y] = point(c, 'coordinates');
      return { type: 'point', x, y };
    }
    case 'MultiPoint':
      if (!Array.isArray(c)) fail('MultiPoint coordinates is not an array');
      return { type: 'points', points: (c as unknown[]).map((p, i) => point(p, `coordinates[${i}]`)) };
    case 'LineString': {
      if (!Array.isArray(c)) fail('LineString coordinates is not an array');
      const points = (c as unknown[]).map((p, i) => point(p, `coordinates[${i}]`));
      if (points.length < 2) fail('LineString has fewer than 2 positions');
      return { type: 'line', points };
    }
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
      return fail(`unsupported geometry type ${JSON.stringify(geom.type)}`);
  }
}
