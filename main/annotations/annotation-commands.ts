// Edits as data, and a pure undo/redo stack over them: the UI executes commands, never mutates documents.
import type { Annotation, AnnotationClass, AnnotationDocument } from './annotation-model.js';

export type AnnotationCommand =
  | { kind: 'add'; annotations: Annotation[] }
  | { kind: 'remove'; annotations: Annotation[] }
  | { kind: 'replace'; before: Annotation; after: Annotation }
  | { kind: 'set-classes'; before: AnnotationClass[]; after: AnnotationClass[] }
  | { kind: 'batch'; label?: string; commands: AnnotationCommand[] };

/** A new document with `cmd` applied; `doc` is untouched. Throws when the command does not fit the document. */
export function applyCommand(doc: AnnotationDocument, cmd: AnnotationCommand): AnnotationDocument {
  switch (cmd.kind) {
    case 'add': {
      const ids = new Set(doc.annotations.map((a) => a.id));
      for (const a of cmd.annotations) if (ids.has(a.id)) throw new Error(`annotation ${a.id} already exists`);
      uniqueIds(cmd.annotations);
      return { ...doc, annotations: [...doc.annotations, ...cmd.annotations] };
    }
    case 'remove': {
      // Exactly the listed annotations, each once: its inverse (undo) adds back exactly what went.
      const gone = uniqueIds(cmd.annotations);
      const ids = new Set(doc.annotations.map((a) => a.id));
      for (const id of gone) if (!ids.has(id)) throw new Error(`annotation ${id} does not exist`);
      return { ...doc, annotations: doc.annotations.filter((a) => !gone.has(a.id)) };
    }
    case 'replace': {
      const i = doc.annotations.findIndex((a) => a.id === cmd.before.id);
      if (i < 0) throw new Error(`annotation ${cmd.before.id} does not exist`);
      const annotations = doc.annotations.slice();
      annotations[i] = cmd.after;
      return { ...doc, annotations };
    }
    case 'set-classes':
      return { ...doc, classes: cmd.after };
    case 'batch':
      return cmd.commands.reduce(applyCommand, doc);
  }
}

/** The ids of `annotations`; throws when one is listed twice (one command, one annotation per id). */
function uniqueIds(annotations: readonly Annotation[]): Set<string> {
  const ids = new Set<string>();
  for (const a of annotations) {
    if (ids.has(a.id)) throw new Error(`annotation ${a.id} is listed twice in one edit`);
    ids.add(a.id);
  }
  return ids;
}

export function invertCommand(cmd: AnnotationCommand): AnnotationCommand {
  switch (cmd.kind) {
    case 'add':
      return { kind: 'remove', annotations: cmd.annotations };
    case 'remove':
      return { kind: 'add', annotations: cmd.annotations };
    case 'replace':
      return { kind: 'replace', before: cmd.after, after: cmd.before };
    case 'set-classes':
      return { kind: 'set-classes', before: cmd.after, after: cmd.before };
    case 'batch':
      return { kind: 'batch', label: cmd.label, commands: cmd.commands.map(invertCommand).reverse() };
  }
}

export interface History {
  readonly doc: AnnotationDocument;
  readonly past: readonly AnnotationCommand[];
  readonly future: readonly AnnotationCommand[];
}

export const historyLimit = 500;

export function startHistory(doc: AnnotationDocument): History {
  return { doc, past: [], future: [] };
}

export function execute(h: History, cmd: AnnotationCommand): History {
  const past = [...h.past, cmd];
  if (past.length > historyLimit) past.shift();
  return { doc: applyCommand(h.doc, cmd), past, future: [] };
}

/** The history one step back, or the same history when there is nothing to undo. */
export function undo(h: History): History {
  const cmd = h.past[h.past.length - 1];
  if (!cmd) return h;
  return { doc: applyCommand(h.doc, invertCommand(cmd)), past: h.past.slice(0, -1), future: [cmd, ...h.future] };
}

export function redo(h: History): History {
  const cmd = h.future[0];
  if (!cmd) return h;
  return { doc: applyCommand(h.doc, cmd), past: [...h.past, cmd], future: h.future.slice(1) };
}

export const canUndo = (h: History): boolean => h.past.length > 0;
export const canRedo = (h: History): boolean => h.future.length > 0;
