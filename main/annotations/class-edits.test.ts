import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultClasses, withClasses } from './annotation-classes.js';
import { execute, startHistory, undo } from './annotation-commands.js';
import { emptyDocument, type Annotation } from './annotation-model.js';
import { addClassCommand, changeClassCommand, deleteClassCommand, renameClassCommand } from './class-edits.js';

const pt = (id: string, className: string): Annotation => ({ id, className, geometry: { type: 'point', x: 1, y: 1 } });
const start = () =>
  execute(startHistory(emptyDocument('s', defaultClasses())), {
    kind: 'add',
    annotations: [pt('a', 'Tumour'), pt('b', 'Tumour'), pt('c', 'Normal')],
  });

test('a new class with an existing name is refused (no silent recolour); new classes get distinct colours', () => {
  let h = start();
  assert.throws(() => addClassCommand(h.doc, 'Tumour', [0, 0, 255]), /already exists/);
  h = execute(h, addClassCommand(h.doc, 'Necrosis'));
  h = execute(h, addClassCommand(h.doc, 'Lymphocytes'));
  h = execute(h, addClassCommand(h.doc, 'Fat'));
  const colours = h.doc.classes.map((c) => c.colour.join(','));
  assert.equal(new Set(colours).size, colours.length, `distinct: ${colours.join(' ')}`);
  const imported = withClasses(h.doc.classes, [{ name: 'X' }, { name: 'Y' }]).map((c) => c.colour.join(','));
  assert.equal(new Set(imported).size, imported.length);
  assert.deepEqual(h.doc.classes.find((c) => c.name === 'Tumour')!.colour, [200, 0, 0]);
});

test('rename relabels its annotations in one undoable step; a taken name is refused', () => {
  let h = start();
  assert.throws(() => renameClassCommand(h.doc, 'Tumour', 'Normal'), /already exists/);
  assert.throws(() => renameClassCommand(h.doc, 'Nope', 'X'), /no class "Nope"/);
  h = execute(h, renameClassCommand(h.doc, 'Tumour', 'Carcinoma'));
  assert.deepEqual(h.doc.annotations.map((a) => a.className), ['Carcinoma', 'Carcinoma', 'Normal']);
  assert.equal(h.doc.classes[0].name, 'Carcinoma');
  assert.deepEqual(h.doc.classes[0].colour, [200, 0, 0]);
  h = undo(h);
  assert.deepEqual(h.doc.annotations.map((a) => a.className), ['Tumour', 'Tumour', 'Normal']);
  assert.equal(h.doc.classes[0].name, 'Tumour');
});

test('delete a class: its annotations deleted, or moved to another class; undo restores both', () => {
  let h = start();
  const moved = execute(h, deleteClassCommand(h.doc, 'Tumour', { annotations: 'move', to: 'Normal' }));
  assert.deepEqual(moved.doc.annotations.map((a) => a.className), ['Normal', 'Normal', 'Normal']);
  assert.ok(!moved.doc.classes.some((c) => c.name === 'Tumour'));
  assert.throws(() => deleteClassCommand(h.doc, 'Tumour', { annotations: 'move', to: 'Gone' }), /no class "Gone"/);
  h = execute(h, deleteClassCommand(h.doc, 'Tumour', { annotations: 'delete' }));
  assert.deepEqual(h.doc.annotations.map((a) => a.id), ['c']);
  assert.ok(!h.doc.classes.some((c) => c.name === 'Tumour'));
  h = undo(h);
  assert.deepEqual(h.doc.annotations.map((a) => a.id).sort(), ['a', 'b', 'c']);
  assert.equal(h.doc.classes.length, 4);
});

test('recolour, hide and lock a class, undoably', () => {
  let h = start();
  h = execute(h, changeClassCommand(h.doc, 'Normal', { colour: [1, 2, 3], hidden: true, locked: true }));
  assert.deepEqual(h.doc.classes[1], { name: 'Normal', colour: [1, 2, 3], hidden: true, locked: true });
  h = execute(h, changeClassCommand(h.doc, 'Normal', { hidden: false }));
  assert.deepEqual(h.doc.classes[1], { name: 'Normal', colour: [1, 2, 3], locked: true });
  h = undo(undo(h));
  assert.deepEqual(h.doc.classes[1], { name: 'Normal', colour: [0, 160, 60] });
});
