// Turns validated imported annotations into one undoable command: new classes, then the annotations
// (ids that clash with existing ones are renewed). Existing annotations are never touched.
import { withClasses } from './annotation-classes.js';
import type { AnnotationCommand } from './annotation-commands.js';
import type { ImportedAnnotations } from './annotation-import-error.js';
import { newAnnotationId, type AnnotationDocument } from './annotation-model.js';

export function mergeImportedCommand(doc: AnnotationDocument, imported: ImportedAnnotations): AnnotationCommand {
  const taken = new Set(doc.annotations.map((a) => a.id));
  const annotations = imported.annotations.map((a) => {
    const id = taken.has(a.id) ? newAnnotationId() : a.id;
    taken.add(id);
    return id === a.id ? a : { ...a, id };
  });
  const classes = withClasses(doc.classes, imported.classes);
  const commands: AnnotationCommand[] = [];
  if (classes.length !== doc.classes.length) commands.push({ kind: 'set-classes', before: doc.classes, after: classes });
  commands.push({ kind: 'add', annotations });
  return { kind: 'batch', label: 'import annotations', commands };
}
