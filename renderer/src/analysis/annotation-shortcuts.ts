// The annotation layer's keyboard shortcuts as a pure mapping from a key press to what it does: undo/redo
// (Ctrl/⌘+Z, Ctrl/⌘+Shift+Z, Ctrl/⌘+Y), Escape drops the draft and the selection, Enter closes a polygon being
// drawn, Delete/Backspace removes its last vertex (else the selected annotation), and one letter per tool.
// Keys typed into form fields are theirs, not shortcuts.
import type { Tool } from './annotation-state.svelte';
import { dragTools } from './tools/index';

export type ShortcutAction =
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'cancel' }
  | { kind: 'finish-polygon' }
  | { kind: 'pop-vertex' }
  | { kind: 'delete-selected' }
  | { kind: 'tool'; tool: Tool };

export interface KeyPress {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** Letters of the tools without a drag tool module (those bring their own `key`). */
const TOOL_KEYS: Record<string, Tool> = { h: 'pan', v: 'select', g: 'polygon', k: 'point' };

/** Whether a key press on `target` belongs to a form field. */
export function isTextEntry(target: { tagName?: string; isContentEditable?: boolean } | null): boolean {
  return target !== null && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT' || target.isContentEditable === true);
}

/** What the key press does, or null (not a shortcut: let it through). */
export function shortcutFor(e: KeyPress, state: { drafting: boolean; selected: boolean }): ShortcutAction | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && key === 'z') return { kind: e.shiftKey ? 'redo' : 'undo' };
  if (mod && key === 'y') return { kind: 'redo' };
  if (mod || e.altKey) return null;
  if (e.key === 'Escape') return { kind: 'cancel' };
  if (e.key === 'Enter') return state.drafting ? { kind: 'finish-polygon' } : null;
  if (e.key === 'Delete' || e.key === 'Backspace') return state.drafting ? { kind: 'pop-vertex' } : state.selected ? { kind: 'delete-selected' } : null;
  const tool = TOOL_KEYS[key] ?? (dragTools.find((t) => t.key === key)?.id as Tool | undefined);
  return tool ? { kind: 'tool', tool } : null;
}
