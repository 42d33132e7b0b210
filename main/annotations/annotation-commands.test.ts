import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultClasses } from './annotation-classes.js';
import { canRedo, canUndo, execute, redo, startHistory, undo } from './annotation-commands.js';
import { emptyDocument } from './annotation-model.js';

test('command stack: execute, undo, redo; a new edit clears redo; documents are never mutated', () => {
  const start = emptyDocument('s', defaultClasses());
  const startCopy = structuredClone(start);
  const a = { id: 'a', className: 'Tumour', geometry: { type: 'point' as const, x: 1, y: 1 } };
  const b = { id: 'b', className: 'Normal', geometry: { type: 'point' as const, x: 2, y: 2 } };
  let h = startHistory(start);
  h = execute(h, { kind: 'add', annotations: [a, b] });
  h = execute(h, { kind: 'replace', before: a, after: { ...a, className: 'Stroma' } });
  h = execute(h, { kind: 'batch', commands: [{ kind: 'remove', annotations: [b] }, { kind: 'set-classes', before: start.classes, after: [] }] });
  assert.deepEqual(h.doc.annotations.map((x) => x.className), ['Stroma']);
  assert.equal(h.doc.classes.length, 0);
  h = undo(h);
  assert.deepEqual(h.doc.annotations.map((x) => x.id).sort(), ['a', 'b']);
  assert.equal(h.doc.classes.length, 4);
  h = undo(undo(h));
  // Undoing every command gives back the starting document (classes included), not just no annotations.
  assert.deepEqual(h.doc, start);
  assert.equal(h.doc.annotations.length, 0);
  assert.equal(canUndo(h), false);
  assert.equal(undo(h), h);
  h = redo(h);
  assert.equal(h.doc.annotations.length, 2);
  h = execute(h, { kind: 'remove', annotations: [a] });
  assert.equal(canRedo(h), false);
  assert.deepEqual(start, startCopy);
});

test('commands: an id listed twice in one remove or add is refused, so undo cannot create two annotations with one id', () => {
  const a = { id: 'a', className: 'Tumour', geometry: { type: 'point' as const, x: 1, y: 1 } };
  const b = { id: 'b', className: 'Normal', geometry: { type: 'point' as const, x: 2, y: 2 } };
  const h = execute(startHistory(emptyDocument('s', defaultClasses())), { kind: 'add', annotations: [a, b] });
  assert.throws(() => execute(h, { kind: 'remove', annotations: [a, a] }), /annotation a is listed twice/);
  assert.throws(() => execute(h, { kind: 'remove', annotations: [a, { ...b, id: 'gone' }] }), /annotation gone does not exist/);
  assert.throws(() => execute(startHistory(emptyDocument('s', defaultClasses())), { kind: 'add', annotations: [a, a] }), /annotation a is listed twice/);
  assert.throws(() => execute(h, { kind: 'batch', commands: [{ kind: 'remove', annotations: [a] }, { kind: 'remove', annotations: [a] }] }), /annotation a does not exist/);
  const removed = execute(h, { kind: 'remove', annotations: [a] });
  assert.deepEqual(undo(removed).doc.annotations.map((x) => x.id).sort(), ['a', 'b']);
});
