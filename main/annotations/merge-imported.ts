// Turns validated imported annotations into one undoable command: new classes, then the annotations
// (ids that clash with existing ones are renewed). `merge` (the default) leaves existing annotations alone
// and skips imported ones already there (same class and same geometry), so re-importing a file adds nothing
// twice; `replace` removes every existing annotation first.
import { withClasses } from './annotation-classes.js';
import type { AnnotationCommand } from './annotation-commands.js';
import type { ImportedAnnotations } from './annotation-import-error.js';
import { newAnnotationId, type Annotation, type AnnotationDocument, type AnnotationGeometry } from './annotation-model.js';

export type ImportMode = 'merge' | 'replace';

/**
 * A key equal for the same class and shape, whatever form the file gave it: coordinates to 1/100 px, rings
 * without a repeated closing point, a rectangle as its 4-corner ring (GeoJSON has no rectangles), a
 * one-polygon multipolygon as that polygon — so a GeoJSON round trip of any annotation matches it.
 */
export function annotationKey(a: Pick<Annotation, 'className' | 'geometry'>): string {
  const r = (v: number) => Math.round(v * 100) / 100;
  const ring = (p: readonly (readonly number[])[]) => {
    const open = p.length > 1 && p[0][0] === p[p.length - 1][0] && p[0][1] === p[p.length - 1][1] ? p.slice(0, -1) : p;
    return open.map(([x, y]) => `${r(x)},${r(y)}`).join(' ');
  };
  const g: AnnotationGeometry = a.geometry;
  const polygons: (readonly (readonly number[])[])[][] =
    g.type === 'rectangle' ? [[[[g.x, g.y], [g.x + g.width, g.y], [g.x + g.width, g.y + g.height], [g.x, g.y + g.height]]]]
    : g.type === 'polygon' ? [g.rings]
    : g.type === 'multipolygon' ? g.polygons
    : []; // prettier-ignore
  const shape =
    g.type === 'point' ? `point ${r(g.x)},${r(g.y)}`
    : g.type === 'points' ? `points ${ring(g.points)}`
    : g.type === 'line' ? `line ${g.points.map(([x, y]) => `${r(x)},${r(y)}`).join(' ')}`
    : `area ${polygons.map((p) => p.map(ring).join(' | ')).join(' || ')}`; // prettier-ignore
  return `${a.className}\u0000${shape}`;
}

export interface MergePlan {
  command: AnnotationCommand;
  /** Imported annotations already on the slide (same class and geometry), not added again. */
  duplicates: number;
  /** Existing annotations removed (`replace`). */
  replaced: number;
}

export function planImport(doc: AnnotationDocument, imported: ImportedAnnotations, mode: ImportMode = 'merge'): MergePlan {
  const kept = mode === 'replace' ? [] : doc.annotations;
  const taken = new Set(kept.map((a) => a.id));
  const seen = new Set(kept.map(annotationKey));
  let duplicates = 0;
  const annotations: Annotation[] = [];
  for (const a of imported.annotations) {
    const key = annotationKey(a);
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    const id = taken.has(a.id) ? newAnnotationId() : a.id;
    taken.add(id);
    annotations.push(id === a.id ? a : { ...a, id });
  }
  const classes = withClasses(doc.classes, imported.classes);
  const commands: AnnotationCommand[] = [];
  if (mode === 'replace' && doc.annotations.length > 0) commands.push({ kind: 'remove', annotations: doc.annotations });
  if (classes.length !== doc.classes.length) commands.push({ kind: 'set-classes', before: doc.classes, after: classes });
  if (annotations.length > 0) commands.push({ kind: 'add', annotations });
  return {
    command: { kind: 'batch', label: 'import annotations', commands },
    duplicates,
    replaced: mode === 'replace' ? doc.annotations.length : 0,
  };
}

export function mergeImportedCommand(doc: AnnotationDocument, imported: ImportedAnnotations): AnnotationCommand {
  return planImport(doc, imported).command;
}
