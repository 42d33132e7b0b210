import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateAnnotation } from './validate-annotation.js';

test('annotations with non-finite or absurd (beyond ±1e9 px) coordinates are refused with a clear message', () => {
  const ok = { id: 'a', className: 'Tumour' };
  validateAnnotation({ ...ok, geometry: { type: 'polygon', rings: [[[0, 0], [1e9, 0], [0, 1e9]]] } }, 'annotation');
  for (const geometry of [
    { type: 'polygon', rings: [[[0, 0], [1e308, 0], [0, 10]]] },
    { type: 'multipolygon', polygons: [[[[0, 0], [10, 0], [0, -1e308]]]] },
    { type: 'rectangle', x: 0, y: 0, width: 1e308, height: 10 },
    { type: 'rectangle', x: -2e9, y: 0, width: 10, height: 10 },
    { type: 'point', x: 5, y: Infinity },
    { type: 'points', points: [[1, 2], [3e9, 4]] },
    { type: 'line', points: [[1, 2], [NaN, 4]] },
  ]) {
    assert.throws(() => validateAnnotation({ ...ok, geometry }, 'annotation'), /annotation: .*finite.*within ±1e9/, JSON.stringify(geometry));
  }
});

test('a line needs at least 2 points; an ellipse is a polygon drawnWith ellipse', () => {
  const ok = { id: 'a', className: 'Tumour' };
  validateAnnotation({ ...ok, geometry: { type: 'line', points: [[0, 0], [10, 5]] } }, 'annotation');
  validateAnnotation({ ...ok, geometry: { type: 'polygon', rings: [[[0, 0], [4, 0], [2, 3]]], drawnWith: 'ellipse' } }, 'annotation');
  assert.throws(() => validateAnnotation({ ...ok, geometry: { type: 'line', points: [[0, 0]] } }, 'annotation'), /line needs at least 2/);
});
