// One set of geometry rules for every way a shape comes in: the API (cleanGeometry), Tessera's own file
// (parseDocument / validateAnnotation), QuPath GeoJSON and ASAP XML import. Each case goes through all four.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importAsapXml } from '../../annotations/asap-import.js';
import { parseDocument, serialiseDocument } from '../../annotations/annotation-file.js';
import { AnnotationImportError } from '../../annotations/annotation-import-error.js';
import { importGeoJson } from '../../annotations/geojson-import.js';
import { validateAnnotation } from '../../annotations/validate-annotation.js';
import { ApiError } from '../../services/api-error.js';
import { cleanGeometry } from '../../services/analysis-annotations.js';
import type { Point } from '../annotation-model.js';

/** A polygon ring through each path; returns the error message, or null when accepted. */
function ringThroughEveryPath(ring: Point[]): { api: string | null; file: string | null; geojson: string | null; asap: string | null } {
  const attempt = (fn: () => unknown): string | null => {
    try {
      fn();
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  };
  const geometry = { type: 'polygon', rings: [ring] };
  const doc = { format: 'tessera-annotations', version: 1, slideFingerprint: 's', classes: [], annotations: [{ id: 'a', className: 'T', geometry }] };
  const coords = ring.map(([x, y], i) => `<Coordinate Order="${i}" X="${x}" Y="${y}"/>`).join('');
  return {
    api: attempt(() => cleanGeometry(geometry)),
    file: attempt(() => parseDocument(JSON.stringify(doc), 'a.json')),
    geojson: attempt(() => importGeoJson(JSON.stringify({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: {} }))),
    asap: attempt(() =>
      importAsapXml(`<ASAP_Annotations><Annotations><Annotation Name="x" Type="Polygon" PartOfGroup="T"><Coordinates>${coords}</Coordinates></Annotation></Annotations></ASAP_Annotations>`),
    ),
  };
}

test('every path accepts the same rings and refuses the same ones, naming the position', () => {
  // A triangle, and the same triangle closed as GeoJSON writes it: accepted everywhere.
  for (const ring of [[[0, 0], [10, 0], [5, 8]], [[0, 0], [10, 0], [5, 8], [0, 0]]] as Point[][]) {
    assert.deepEqual(ringThroughEveryPath(ring), { api: null, file: null, geojson: null, asap: null }, JSON.stringify(ring));
  }
  // Two distinct positions closed back to the first: no area. The API and the file took it before.
  const flat = ringThroughEveryPath([[0, 0], [10, 10], [0, 0]]);
  for (const [path, message] of Object.entries(flat)) assert.match(message ?? 'accepted', /fewer than 3 distinct positions/, path);
  assert.match(flat.api!, /^Parameter "geometry\.rings\[0\]" has fewer than 3/);
  assert.match(flat.file!, /^a\.json: annotations\[0\]\.geometry\.rings\[0\] has fewer than 3/);
  assert.match(flat.geojson!, /coordinates\[0\] has fewer than 3/);
  // Beyond ±1e9 px: refused everywhere (ASAP took any finite number before), with the position's path.
  const far = ringThroughEveryPath([[0, 0], [2e9, 0], [5, 8]]);
  for (const [path, message] of Object.entries(far)) assert.match(message ?? 'accepted', /\[1\]"? is not a finite \[x, y\] position within ±1e9 px: \[2000000000,0\]/, path);
});

test('API geometry: typed 400s with the parameter path; rectangles normalised; unknown fields dropped', () => {
  const bad = (g: unknown, name?: string) => {
    try {
      cleanGeometry(g, name);
    } catch (err) {
      assert.ok(err instanceof ApiError && err.code === 'invalid-argument' && err.status === 400, String(err));
      return err.message;
    }
    assert.fail(`accepted ${JSON.stringify(g)}`);
  };
  assert.equal(bad({ type: 'line', points: [[0, 0]] }), 'Parameter "geometry.points" has fewer than 2 points: a line needs at least 2');
  assert.equal(bad({ type: 'point', x: 1, y: '2' }), 'Parameter "geometry.y" must be a finite number within ±1e9 px');
  assert.equal(bad({ type: 'rectangle', x: 0, y: 0, width: 0, height: 5 }), 'Parameter "geometry.width" must be a positive size, finite and within ±1e9 px');
  assert.equal(bad({ type: 'points', points: [] }, 'geometries[4]'), 'Parameter "geometries[4].points" has no points');
  assert.equal(bad({ type: 'rectangle', x: 0, y: 0, width: 3 }), 'Parameter "geometry.height" is missing');
  assert.match(bad({ type: 'circle' })!, /^Parameter "geometry.type": Unknown geometry type "circle" \(known: rectangle, polygon/);
  assert.equal(bad({ type: 'polygon', rings: [[[0, 0], [4, 0], [2, 3]]], drawnWith: 'pen' }), 'Parameter "geometry.drawnWith" must be "brush" or "ellipse"');
  assert.deepEqual(cleanGeometry({ type: 'rectangle', x: 10, y: 10, width: -4, height: -2, colour: 'x' }), { type: 'rectangle', x: 6, y: 8, width: 4, height: 2 });
  assert.deepEqual(cleanGeometry({ type: 'polygon', rings: [[[0, 0], [4, 0], [2, 3, 7]]], drawnWith: 'ellipse' }), {
    type: 'polygon',
    rings: [[[0, 0], [4, 0], [2, 3]]],
    drawnWith: 'ellipse',
  });
});

test('hostile input: __proto__ keys, deep nesting and huge arrays are refused or ignored cleanly', () => {
  const polluted = JSON.parse('{"type":"point","x":1,"y":2,"__proto__":{"isAdmin":true}}');
  assert.deepEqual(cleanGeometry(polluted), { type: 'point', x: 1, y: 2 });
  assert.equal(({} as { isAdmin?: boolean }).isAdmin, undefined);
  const doc = JSON.parse(
    '{"format":"tessera-annotations","version":1,"slideFingerprint":"s","__proto__":{"x":1},"classes":[{"name":"T","colour":[1,2,3],"__proto__":{"y":1}}],"annotations":[]}',
  );
  const read = parseDocument(JSON.stringify(doc));
  assert.deepEqual(Object.keys(read), ['slideFingerprint', 'classes', 'annotations']);
  assert.equal(Object.getPrototypeOf(read.classes[0]), Object.prototype);
  // 100,000 levels of arrays where a position belongs: one short message, no stack overflow.
  const deep = JSON.parse(`{"type":"polygon","rings":[[${'['.repeat(100_000)}${']'.repeat(100_000)}]]}`);
  assert.match(String((() => { try { cleanGeometry(deep); } catch (e) { return (e as Error).message; } })()), /arrays nested more than 8 deep/); // prettier-ignore
  // A million bad positions: the first is reported (parsing stops there), quickly.
  const huge = { type: 'points', points: Array.from({ length: 1_000_000 }, () => 'x') };
  const started = performance.now();
  assert.throws(() => cleanGeometry(huge), /: Parameter "geometry.points\[0\]" is not a finite \[x, y\] position/);
  assert.ok(performance.now() - started < 500, 'stopped at the first issue');
});

test('the file reads back what it saved; a broken annotation in it is named by its path', () => {
  const doc = {
    slideFingerprint: 'abc',
    classes: [{ name: 'Tumour', colour: [200, 0, 0] as [number, number, number], locked: true }],
    annotations: [
      { id: 'r', className: 'Tumour', geometry: { type: 'rectangle' as const, x: 1, y: 2, width: 3, height: 4 }, note: 'n' },
      { id: 'l', className: 'Tumour', geometry: { type: 'line' as const, points: [[0, 0], [5, 5]] as Point[] }, locked: true },
    ],
  };
  assert.deepEqual(parseDocument(serialiseDocument(doc)), doc);
  const broken = JSON.parse(serialiseDocument(doc));
  broken.annotations[1].geometry.points[1] = [5, null];
  assert.throws(() => parseDocument(JSON.stringify(broken), 'x.json'), /x\.json: annotations\[1\]\.geometry\.points\[1\] is not a finite/);
  broken.annotations[1] = { ...doc.annotations[1], colour: [300, 0, 0] };
  assert.throws(() => parseDocument(JSON.stringify(broken), 'x.json'), /x\.json: annotations\[1\]\.colour must be \[r, g, b\] with integers 0–255/);
  assert.throws(() => validateAnnotation({ id: '', className: 'T', geometry: { type: 'point', x: 0, y: 0 } }, 'annotation 0'), /annotation 0: id is missing/);
});

test('GeoJSON import keeps accepting what QuPath writes, with the same warnings for what it skips', () => {
  const features = [
    { type: 'Feature', id: 'd', geometry: { type: 'Point', coordinates: [1, 2] }, properties: { objectType: 'detection' } },
    { type: 'Feature', id: 'm', geometry: { type: 'MultiLineString', coordinates: [[[0, 0], [1, 1]]] }, properties: {} },
    { type: 'Feature', id: 'e', geometry: { type: 'MultiPoint', coordinates: [] }, properties: {} },
    { type: 'Feature', id: 'z', geometry: { type: 'LineString', coordinates: [[0, 0, 3], [4, 4, 3]] }, properties: {} },
  ];
  const r = importGeoJson(JSON.stringify({ type: 'FeatureCollection', features }));
  assert.deepEqual(r.annotations.map((a) => a.geometry), [{ type: 'line', points: [[0, 0], [4, 4]] }]);
  assert.deepEqual(r.warnings, [
    'feature 0 (id d): skipped a QuPath detection (only annotations are imported)',
    'feature 1 (id m): skipped a MultiLineString (line annotations are not supported)',
    'feature 2 (id e): skipped an empty MultiPoint (no positions)',
  ]);
  assert.throws(
    () => importGeoJson(JSON.stringify({ type: 'Feature', geometry: { type: 'MultiPolygon', coordinates: [] } })),
    (err: unknown) => err instanceof AnnotationImportError && err.message === 'GeoJSON feature 0: coordinates has no polygons',
  );
});
