// Class edits as undoable commands (annotation-commands.ts): add, rename, recolour, hide/lock, delete — the
// last with an explicit choice for its annotations (delete them, or move them to another class). Each edit
// that touches annotations is one batch, so one undo restores classes and annotations together.
import { findClass, nextClassColour } from './annotation-classes.js';
import type { AnnotationCommand } from './annotation-commands.js';
import type { AnnotationClass, AnnotationDocument, Rgb } from './annotation-model.js';

/** A class edit that does not fit the document (unknown class, a name already taken, …). */
export class ClassEditError extends Error {
  constructor(
    readonly code: 'not-found' | 'exists' | 'invalid-argument',
    message: string,
  ) {
    super(message);
    this.name = 'ClassEditError';
  }
}

function existing(doc: AnnotationDocument, name: string): AnnotationClass {
  const c = findClass(doc.classes, name);
  if (!c) throw new ClassEditError('not-found', `There is no class "${name}"`);
  return c;
}

/** A new class; `colour` defaults to the next palette colour not in use. Never recolours an existing one. */
export function addClassCommand(doc: AnnotationDocument, name: string, colour?: Rgb): AnnotationCommand {
  if (findClass(doc.classes, name)) throw new ClassEditError('exists', `A class named "${name}" already exists`);
  const after = [...doc.classes, { name, colour: colour ?? nextClassColour(doc.classes) }];
  return { kind: 'set-classes', before: doc.classes, after };
}

/** Changes a class's colour, visibility or lock (only the fields given). */
export function changeClassCommand(
  doc: AnnotationDocument,
  name: string,
  change: { colour?: Rgb; hidden?: boolean; locked?: boolean },
): AnnotationCommand {
  existing(doc, name);
  const after = doc.classes.map((c) => {
    if (c.name !== name) return c;
    const next: AnnotationClass = { ...c };
    if (change.colour) next.colour = change.colour;
    if (change.hidden !== undefined) {
      if (change.hidden) next.hidden = true;
      else delete next.hidden;
    }
    if (change.locked !== undefined) {
      if (change.locked) next.locked = true;
      else delete next.locked;
    }
    return next;
  });
  return { kind: 'set-classes', before: doc.classes, after };
}

/** Renames a class and relabels its annotations; the new name must be free. */
export function renameClassCommand(doc: AnnotationDocument, from: string, to: string): AnnotationCommand {
  existing(doc, from);
  if (from === to) throw new ClassEditError('invalid-argument', `The class is already called "${to}"`);
  if (findClass(doc.classes, to))
    throw new ClassEditError('exists', `A class named "${to}" already exists: delete "${from}" and move its annotations there instead`);
  const commands: AnnotationCommand[] = [
    { kind: 'set-classes', before: doc.classes, after: doc.classes.map((c) => (c.name === from ? { ...c, name: to } : c)) },
  ];
  for (const a of doc.annotations)
    if (a.className === from) commands.push({ kind: 'replace', before: a, after: { ...a, className: to } });
  return { kind: 'batch', label: `rename class ${from}`, commands };
}

/** What happens to a deleted class's annotations. */
export type DeletedClassAnnotations = { annotations: 'delete' } | { annotations: 'move'; to: string };

/** Deletes a class; its annotations are deleted too, or moved to class `to` (which must exist). */
export function deleteClassCommand(doc: AnnotationDocument, name: string, fate: DeletedClassAnnotations): AnnotationCommand {
  existing(doc, name);
  const of = doc.annotations.filter((a) => a.className === name);
  const commands: AnnotationCommand[] = [];
  if (fate.annotations === 'move') {
    if (fate.to === name) throw new ClassEditError('invalid-argument', 'Move the annotations to another class');
    existing(doc, fate.to);
    for (const a of of) commands.push({ kind: 'replace', before: a, after: { ...a, className: fate.to } });
  } else if (of.length > 0) {
    commands.push({ kind: 'remove', annotations: of });
  }
  commands.push({ kind: 'set-classes', before: doc.classes, after: doc.classes.filter((c) => c.name !== name) });
  return { kind: 'batch', label: `delete class ${name}`, commands };
}
