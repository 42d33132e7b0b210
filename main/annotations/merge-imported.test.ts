import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultClasses } from './annotation-classes.js';
import { execute, startHistory, undo } from './annotation-commands.js';
import { emptyDocument, type Annotation } from './annotation-model.js';
import { planImport } from './merge-imported.js';

const rect = (id: string, x: number, className = 'Tumour'): Annotation => ({
  id,
  className,
  geometry: { type: 'rectangle', x, y: 0, width: 10, height: 10 },
});
const file = { annotations: [rect('f1', 0), rect('f2', 100), rect('f3', 100, 'Normal')], classes: [], warnings: [] };

test('re-importing the same file adds nothing twice (same class and geometry are skipped)', () => {
  let h = startHistory(emptyDocument('s', defaultClasses()));
  h = execute(h, planImport(h.doc, file).command);
  assert.equal(h.doc.annotations.length, 3);
  const again = planImport(h.doc, file);
  assert.equal(again.duplicates, 3);
  h = execute(h, again.command);
  assert.equal(h.doc.annotations.length, 3);
  // A moved copy (tiny float noise) of an existing one is still a duplicate; a different class is not.
  const noisy = { ...file, annotations: [{ ...rect('n', 0.001), id: 'n' }, rect('m', 0, 'Stroma')] };
  const p = planImport(h.doc, noisy);
  assert.equal(p.duplicates, 1);
  assert.equal(execute(h, p.command).doc.annotations.length, 4);
});

test('a GeoJSON round trip is recognised: rectangle as a closed polygon, one-polygon multipolygon', () => {
  let h = startHistory(emptyDocument('s', defaultClasses()));
  h = execute(h, { kind: 'add', annotations: [rect('r', 0), { id: 'p', className: 'Normal', geometry: { type: 'polygon', rings: [[[0, 0], [5, 0], [5, 5]]], drawnWith: 'brush' } }] });
  const roundTrip = {
    classes: [],
    warnings: [],
    annotations: [
      { id: 'x', className: 'Tumour', geometry: { type: 'polygon' as const, rings: [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]] as [number, number][]] } },
      { id: 'y', className: 'Normal', geometry: { type: 'multipolygon' as const, polygons: [[[[0, 0], [5, 0], [5, 5], [0, 0]] as [number, number][]]] } },
    ],
  };
  assert.equal(planImport(h.doc, roundTrip).duplicates, 2);
});

test('replace removes every existing annotation and imports the file, in one undo step', () => {
  let h = startHistory(emptyDocument('s', defaultClasses()));
  h = execute(h, { kind: 'add', annotations: [rect('mine', 500), rect('f1', 0)] });
  const p = planImport(h.doc, file, 'replace');
  assert.equal(p.replaced, 2);
  assert.equal(p.duplicates, 0);
  h = execute(h, p.command);
  assert.deepEqual(h.doc.annotations.map((a) => a.geometry.type === 'rectangle' && a.geometry.x), [0, 100, 100]);
  h = undo(h);
  assert.deepEqual(h.doc.annotations.map((a) => a.id), ['mine', 'f1']);
});
