// The annotation layer's input rules, pure: keyboard shortcuts (undo/redo, Escape, Enter, Delete, one letter
// per tool; nothing while typing in a field) and what a click does to the polygon being drawn (add, close on
// the first vertex or on a double-click's second click, ignore a repeat on the last vertex).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isTextEntry, shortcutFor, type KeyPress } from './annotation-shortcuts';
import { polygonClick } from './polygon-clicks';

const press = (key: string, mods: Partial<KeyPress> = {}): KeyPress => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });
const idle = { drafting: false, selected: false };

test('keyboard shortcuts', () => {
  assert.deepEqual(shortcutFor(press('z', { ctrlKey: true }), idle), { kind: 'undo' });
  assert.deepEqual(shortcutFor(press('Z', { metaKey: true, shiftKey: true }), idle), { kind: 'redo' });
  assert.deepEqual(shortcutFor(press('y', { ctrlKey: true }), idle), { kind: 'redo' });
  assert.equal(shortcutFor(press('r', { ctrlKey: true }), idle), null, 'Ctrl+R reloads, not a tool');
  assert.equal(shortcutFor(press('r', { altKey: true }), idle), null);
  assert.deepEqual(shortcutFor(press('Escape'), idle), { kind: 'cancel' });
  assert.equal(shortcutFor(press('Enter'), idle), null);
  assert.deepEqual(shortcutFor(press('Enter'), { drafting: true, selected: false }), { kind: 'finish-polygon' });
  assert.deepEqual(shortcutFor(press('Backspace'), { drafting: true, selected: true }), { kind: 'pop-vertex' }, 'the draft first');
  assert.deepEqual(shortcutFor(press('Delete'), { drafting: false, selected: true }), { kind: 'delete-selected' });
  assert.equal(shortcutFor(press('Delete'), idle), null);
  assert.deepEqual(shortcutFor(press('h'), idle), { kind: 'tool', tool: 'pan' });
  assert.deepEqual(shortcutFor(press('G'), idle), { kind: 'tool', tool: 'polygon' });
  assert.deepEqual(shortcutFor(press('r'), idle), { kind: 'tool', tool: 'rectangle' }, "a drag tool's own key");
  assert.equal(shortcutFor(press('q'), idle), null);
  assert.ok(isTextEntry({ tagName: 'INPUT' }) && isTextEntry({ tagName: 'SELECT' }) && isTextEntry({ tagName: 'DIV', isContentEditable: true }));
  assert.ok(!isTextEntry({ tagName: 'CANVAS' }) && !isTextEntry(null));
});

test('polygon clicks: add, close on the first vertex, a double-click closes, a repeat is ignored', () => {
  const square: [number, number][] = [[0, 0], [100, 0], [100, 100]];
  const at = (x: number, y: number) => ({ x, y });
  // scale 1: screen px = level-0 px here.
  let r = polygonClick([], at(0, 0), at(0, 0), 0, 1, null);
  assert.equal(r.action, 'add');
  r = polygonClick(square, at(0, 100), at(0, 100), 1000, 1, r.last);
  assert.equal(r.action, 'add');
  assert.equal(polygonClick(square, at(4, 3), at(4, 3), 5000, 1, null).action, 'finish', 'within 9 screen px of the first vertex');
  assert.equal(polygonClick(square, at(4, 3), at(4, 3), 5000, 3, null).action, 'add', 'zoomed in 3×, the same click is 15 screen px away');
  assert.equal(polygonClick(square, at(101, 101), at(101, 101), 5000, 1, null).action, 'ignore', 'on the last vertex again');
  // A double-click: its first click adds, its second closes (never a vertex of its own).
  const first = polygonClick(square, at(0, 100), at(300, 300), 7000, 1, null);
  assert.equal(first.action, 'add');
  const second = polygonClick([...square, [0, 100]], at(1, 101), at(302, 301), 7200, 1, first.last);
  assert.equal(second.action, 'finish');
  assert.equal(second.last, null, 'a third click starts afresh');
  assert.equal(polygonClick([[0, 0]], at(50, 50), at(300, 300), 7200, 1, first.last).action, 'ignore', 'a double-click with under 3 vertices closes nothing');
  assert.equal(polygonClick(square, at(0, 100), at(300, 300), 7700, 1, first.last).action, 'add', 'too slow for a double-click');
});
