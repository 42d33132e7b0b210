import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultClasses } from './annotation-classes.js';
import { applyCommand } from './annotation-commands.js';
import { AnnotationImportError } from './annotation-import-error.js';
import { emptyDocument, type AnnotationDocument } from './annotation-model.js';
import { exportGeoJson } from './geojson-export.js';
import { importGeoJson } from './geojson-import.js';
import { mergeImportedCommand } from './merge-imported.js';

// As QuPath 0.4+ writes it (File > Export objects as GeoJSON, "Pretty" off), trimmed.
const qupath = JSON.stringify({
  type: 'FeatureCollection',
  features: [
    { type: 'Feature', id: '5b1c6e34-0f6a-4f0e-9a2b-8f1d0b0b7a11', geometry: { type: 'Polygon', coordinates: [[[100, 100], [300, 100], [300, 300], [100, 300], [100, 100]], [[150, 150], [200, 150], [200, 200], [150, 200], [150, 150]]] }, properties: { objectType: 'annotation', classification: { name: 'Tumor', color: [200, 0, 0] }, isLocked: true } },
    { type: 'Feature', id: 'b2', geometry: { type: 'MultiPolygon', coordinates: [[[[0, 0], [10, 0], [10, 10], [0, 0]]], [[[20, 20], [30, 20], [30, 30], [20, 20]]]] }, properties: { objectType: 'annotation', classification: { name: 'Stroma', colorRGB: -6895466 } } },
    { type: 'Feature', id: 'c3', geometry: { type: 'MultiPoint', coordinates: [[5, 5], [6, 7]] }, properties: { objectType: 'annotation' } },
    { type: 'Feature', id: 'd4', geometry: { type: 'Point', coordinates: [1, 2] }, properties: { objectType: 'detection' } },
    { type: 'Feature', id: 'e5', geometry: { type: 'LineString', coordinates: [[0, 0], [1, 1]] }, properties: { objectType: 'annotation' } },
  ],
}); // prettier-ignore

test('GeoJSON: imports QuPath annotations (holes, MultiPolygon, MultiPoint, LineString, isLocked, colorRGB), skips detections', () => {
  const r = importGeoJson(qupath);
  assert.deepEqual(r.annotations.map((a) => [a.id, a.className, a.geometry.type]), [
    ['5b1c6e34-0f6a-4f0e-9a2b-8f1d0b0b7a11', 'Tumor', 'polygon'],
    ['b2', 'Stroma', 'multipolygon'],
    ['c3', 'Unclassified', 'points'],
    ['e5', 'Unclassified', 'line'],
  ]);
  assert.deepEqual(r.annotations[3].geometry, { type: 'line', points: [[0, 0], [1, 1]] });
  assert.equal(r.annotations[0].locked, true);
  const poly = r.annotations[0].geometry as { rings: number[][][] };
  assert.equal(poly.rings.length, 2);
  assert.equal(poly.rings[0].length, 4, 'the closing position is dropped');
  assert.deepEqual(r.classes.find((c) => c.name === 'Stroma')!.colour, [150, 200, 150]);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0], /feature 3.*detection/);
});

test('GeoJSON: export → import round-trips geometry, classes and colours in QuPath form', () => {
  const doc: AnnotationDocument = {
    ...emptyDocument('s', defaultClasses()),
    annotations: [
      { id: 'r', className: 'Tumour', geometry: { type: 'rectangle', x: 10, y: 20, width: 30, height: 40 } },
      { id: 'p', className: 'Stroma', geometry: { type: 'polygon', rings: [[[0, 0], [10, 0], [5, 8]]], drawnWith: 'brush' }, locked: true, name: 'n' },
      { id: 'pt', className: 'Normal', geometry: { type: 'point', x: 3, y: 4 } },
      { id: 'ln', className: 'Normal', geometry: { type: 'line', points: [[1, 2], [30, 40]] } },
      { id: 'el', className: 'Tumour', geometry: { type: 'polygon', rings: [[[10, 0], [0, 5], [-10, 0], [0, -5]]], drawnWith: 'ellipse' } },
    ],
  };
  const fc = exportGeoJson(doc);
  assert.deepEqual(fc.features[3].geometry, { type: 'LineString', coordinates: [[1, 2], [30, 40]] }, 'a line is a LineString');
  assert.equal(fc.features[4].geometry.type, 'Polygon', 'an ellipse is its polygon, as QuPath writes ellipses');
  assert.equal(fc.type, 'FeatureCollection');
  const f0 = fc.features[0];
  assert.deepEqual(f0.properties, { objectType: 'annotation', classification: { name: 'Tumour', color: [200, 0, 0] } });
  assert.deepEqual((f0.geometry as { coordinates: number[][][] }).coordinates[0], [[10, 20], [40, 20], [40, 60], [10, 60], [10, 20]]);
  const back = importGeoJson(JSON.stringify(fc));
  assert.deepEqual(back.annotations[1], { id: 'p', className: 'Stroma', geometry: { type: 'polygon', rings: [[[0, 0], [10, 0], [5, 8]]] }, name: 'n', locked: true });
  assert.deepEqual(back.annotations[2].geometry, { type: 'point', x: 3, y: 4 });
  assert.deepEqual(back.annotations[3].geometry, { type: 'line', points: [[1, 2], [30, 40]] });
  assert.deepEqual(back.annotations[4].geometry, { type: 'polygon', rings: [[[10, 0], [0, 5], [-10, 0], [0, -5]]] });
});

test('GeoJSON: malformed input fails with a typed error naming the feature and the problem', () => {
  const bad = (features: unknown[]) => JSON.stringify({ type: 'FeatureCollection', features });
  const ok = { type: 'Feature', geometry: { type: 'Point', coordinates: [0, 0] }, properties: {} };
  const cases: [string, RegExp][] = [
    ['{not json', /GeoJSON document: not JSON/],
    [JSON.stringify({ type: 'Polygon' }), /expected a FeatureCollection/],
    [bad([ok, { type: 'Feature', id: 'x9', geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 1], [0, 0]]] } }]), /feature 1 \(id x9\): coordinates\[0\] has fewer than 3/],
    [bad([{ type: 'Feature', geometry: { type: 'Point', coordinates: ['a', 0] } }]), /feature 0: coordinates is not a finite/],
    [bad([{ type: 'Feature', geometry: { type: 'Circle' } }]), /unsupported geometry type "Circle"/],
    [bad([{ type: 'Feature', geometry: ok.geometry, properties: { classification: { name: 'T', color: [300, 0, 0] } } }]), /classification.color must be/],
    [bad([{ type: 'Feature' }]), /feature 0: has no geometry/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => importGeoJson(text), (err: unknown) => err instanceof AnnotationImportError && message.test(err.message), String(message));
  }
});

test('import merges into existing annotations as one undoable command; clashing ids are renewed', () => {
  let doc: AnnotationDocument = { ...emptyDocument('s', defaultClasses()), annotations: [{ id: 'b2', className: 'Normal', geometry: { type: 'point', x: 0, y: 0 } }] };
  const cmd = mergeImportedCommand(doc, importGeoJson(qupath));
  doc = applyCommand(doc, cmd);
  assert.equal(doc.annotations.length, 5);
  assert.equal(doc.annotations[0].className, 'Normal', 'existing annotation untouched');
  assert.equal(new Set(doc.annotations.map((a) => a.id)).size, 5);
  assert.ok(doc.classes.some((c) => c.name === 'Tumor') && doc.classes.some((c) => c.name === 'Unclassified'));
});

test('GeoJSON: deeply nested input, absurd coordinates and self-intersecting polygons get a clear word', () => {
  const N = 100_000;
  const feature = (geometry: string) => `{"type":"Feature","geometry":${geometry},"properties":{}}`;
  const deepCoords = feature(`{"type":"Polygon","coordinates":${'['.repeat(N)}${']'.repeat(N)}}`);
  const deepCollection = feature(`${'{"type":"GeometryCollection","geometries":['.repeat(N)}${']}'.repeat(N)}`);
  for (const text of [deepCoords, deepCollection]) {
    assert.throws(
      () => importGeoJson(text),
      (err: unknown) => err instanceof AnnotationImportError && /nested/.test(err.message) && !/call stack/.test(err.message),
    );
  }
  for (const bad of [1e308, -1e308, 2e9]) {
    const text = JSON.stringify({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[0, 0], [bad, 0], [bad, 10], [0, 10]]] }, properties: {} });
    assert.throws(() => importGeoJson(text), (err: unknown) => err instanceof AnnotationImportError && /within ±1e9/.test(err.message));
    const point = JSON.stringify({ type: 'Feature', geometry: { type: 'Point', coordinates: [5, bad] }, properties: {} });
    assert.throws(() => importGeoJson(point), /within ±1e9/);
  }
  // A bow tie: imported (QuPath can draw one), with a warning.
  const bowTie = JSON.stringify({ type: 'Feature', id: 'bow', geometry: { type: 'Polygon', coordinates: [[[0, 0], [10, 10], [10, 0], [0, 10], [0, 0]]] }, properties: {} });
  const r = importGeoJson(bowTie);
  assert.equal(r.annotations.length, 1);
  assert.ok(r.warnings.some((w) => /bow/.test(w) && /crosses itself/.test(w)), r.warnings.join('; '));
  // A plain square: no warning.
  assert.deepEqual(importGeoJson(JSON.stringify({ type: 'Feature', geometry: { type: 'Polygon', coordinates: [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]] }, properties: {} })).warnings, []);
});
