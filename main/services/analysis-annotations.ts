// Annotation editing for the app: one AnnotationStore (undo/redo, spatial index, atomic autosave) per open
// slide, each edit checked off the wire and answered with a delta (what changed) for the renderer. A failing
// autosave is announced through `notify` (the services send it as an error event: a persistent notice).
import { withClasses } from '../annotations/annotation-classes.js';
import type { AnnotationCommand } from '../annotations/annotation-commands.js';
import { AnnotationImportError } from '../annotations/annotation-import-error.js';
import { newAnnotationId, type Annotation, type AnnotationDocument, type AnnotationGeometry, type Rgb } from '../annotations/annotation-model.js';
import type { AnnotationSaveState, AnnotationStore } from '../annotations/annotation-store.js';
import { exportGeoJson } from '../annotations/geojson-export.js';
import { planImport, type ImportMode } from '../annotations/merge-imported.js';
import { readAnnotationFile } from '../annotations/read-annotation-file.js';
import { validateAnnotation } from '../annotations/validate-annotation.js';
import {
  addClassCommand,
  changeClassCommand,
  ClassEditError,
  deleteClassCommand,
  renameClassCommand,
} from '../annotations/class-edits.js';
import { isAbsolute } from 'node:path';
import * as v from 'valibot';
import {
  annotationIdsSchema,
  classNameSchema,
  colourSchema,
  flagSchema,
  geometryInputSchema,
  geometryListSchema,
  importModeSchema,
  readParam,
} from '../common/schemas/api-params.js';
import { FileExistsError } from '../common/atomic-write.js';
import { writeExport } from '../export/write-export.js';
import type { AnnotationDelta, AnnotationSnapshot } from '../contracts/analysis.js';
import { ApiError } from './api-error.js';

export interface SlideAnnotationsOptions {
  /** The slide's name, for messages. */
  name?: string;
  /** Tells the user something went wrong (autosave failing); default: nothing. */
  notify?: (message: string) => void;
}

/** One slide's annotations as the service holds them: the store plus a revision counter for deltas. */
export class SlideAnnotations {
  private revision = 0;
  /** The failure reason last announced, so retries failing the same way are announced once. */
  private announced: string | null = null;

  constructor(
    readonly slideId: string,
    readonly store: AnnotationStore,
    private readonly options: SlideAnnotationsOptions = {},
  ) {
    store.onSaveState((state) => this.saveStateChanged(state));
  }

  /** Where autosave stands (failed, with the reason, until a save succeeds). */
  get saveState(): AnnotationSaveState {
    return this.store.saveState;
  }

  private saveStateChanged(state: AnnotationSaveState): void {
    if (state.status === 'saved') this.announced = null;
    if (state.status !== 'failed' || state.error === this.announced) return;
    this.announced = state.error ?? null;
    this.options.notify?.(
      `The annotations of ${this.options.name ?? 'this slide'} could not be saved: ${state.error}. ` +
        'Your edits are kept and Tessera keeps trying; do not close the slide until this is fixed.',
    );
  }

  snapshot(): AnnotationSnapshot {
    const doc = this.store.doc;
    return {
      slideId: this.slideId,
      revision: this.revision,
      classes: doc.classes,
      annotations: doc.annotations,
      canUndo: this.store.canUndo,
      canRedo: this.store.canRedo,
    };
  }

  add(className: unknown, geometry: unknown): AnnotationDelta {
    const name = className === undefined ? 'Tumour' : checkClassName(className);
    const annotation: Annotation = { id: newAnnotationId(), className: name, geometry: cleanGeometry(geometry) };
    return this.run(withClassCommand(this.store.doc, name, { kind: 'add', annotations: [annotation] }));
  }

  /** Several annotations of one class as one undoable step (one batch command): label by example. */
  addMany(className: unknown, geometries: unknown): AnnotationDelta {
    const list = param(geometryListSchema, geometries, 'geometries');
    const name = className === undefined ? 'Tumour' : checkClassName(className);
    const annotations: Annotation[] = list.map((geometry) => ({ id: newAnnotationId(), className: name, geometry }));
    return this.run(withClassCommand(this.store.doc, name, { kind: 'add', annotations }));
  }

  update(id: unknown, geometry: unknown, className: unknown, text: { name?: unknown; note?: unknown } = {}): AnnotationDelta {
    const before = this.find(id);
    if (geometry === undefined && className === undefined && text.name === undefined && text.note === undefined)
      throw new ApiError('invalid-argument', 'Give a new geometry, class name, name or note');
    const after: Annotation = { ...before };
    for (const key of ['name', 'note'] as const) {
      if (text[key] === undefined) continue;
      const value = param(key === 'name' ? nameSchema : noteSchema, text[key], key);
      if (value.trim() === '') delete after[key];
      else after[key] = key === 'name' ? value.trim() : value;
    }
    if (geometry !== undefined) {
      if (before.locked) throw new ApiError('locked', 'This annotation is locked: unlock it before reshaping it');
      if (this.store.doc.classes.some((c) => c.name === before.className && c.locked))
        throw new ApiError('locked', `Class ${before.className} is locked: unlock it before reshaping its annotations`);
      after.geometry = cleanGeometry(geometry);
    }
    if (className !== undefined) after.className = checkClassName(className);
    validateAnnotation(after, 'annotation'); // the edited whole, as it will be saved
    return this.run(withClassCommand(this.store.doc, after.className, { kind: 'replace', before, after }));
  }

  remove(ids: unknown): AnnotationDelta {
    // An id listed twice (a double click, a retried request) is deleted once.
    const annotations = [...new Set<unknown>(param(annotationIdsSchema, ids, 'ids'))].map((id) => this.find(id));
    return this.run({ kind: 'remove', annotations });
  }

  undo(): AnnotationDelta {
    return this.change(() => this.store.undo());
  }

  redo(): AnnotationDelta {
    return this.change(() => this.store.redo());
  }

  setClass(name: unknown, colour: unknown): AnnotationDelta {
    const n = checkClassName(name, 'name');
    const rgb = checkColour(colour);
    const before = this.store.doc.classes;
    const after = before.some((c) => c.name === n)
      ? before.map((c) => (c.name === n ? { name: n, colour: rgb } : c))
      : [...before, { name: n, colour: rgb }];
    return this.run({ kind: 'set-classes', before, after });
  }

  /** One class edit (see the contract's editAnnotationClass), as one undoable step. */
  editClass(p: Record<string, unknown>): AnnotationDelta {
    const name = checkClassName(p.name, 'name');
    const doc = this.store.doc;
    let cmd: AnnotationCommand;
    try {
      if (p.create === true) cmd = addClassCommand(doc, name, p.colour === undefined ? undefined : checkColour(p.colour));
      else if (p.rename !== undefined) cmd = renameClassCommand(doc, name, checkClassName(p.rename, 'rename'));
      else if (p.delete !== undefined) {
        const d = (p.delete ?? {}) as Record<string, unknown>;
        if (d.annotations === 'delete') cmd = deleteClassCommand(doc, name, { annotations: 'delete' });
        else if (d.annotations === 'move') cmd = deleteClassCommand(doc, name, { annotations: 'move', to: checkClassName(d.to, 'delete.to') });
        else throw new ApiError('invalid-argument', 'Say what happens to the annotations: "delete" them or "move" them to another class');
      } else {
        const flag = (value: unknown, key: string): boolean | undefined => (value === undefined ? undefined : param(flagSchema, value, key));
        const change = {
          colour: p.colour === undefined ? undefined : checkColour(p.colour),
          hidden: flag(p.hidden, 'hidden'),
          locked: flag(p.locked, 'locked'),
        };
        if (change.colour === undefined && change.hidden === undefined && change.locked === undefined)
          throw new ApiError('invalid-argument', 'Nothing to change: give create, rename, delete, colour, hidden or locked');
        cmd = changeClassCommand(doc, name, change);
      }
    } catch (err) {
      if (err instanceof ClassEditError) throw new ApiError(err.code, err.message, err.code === 'not-found' ? 404 : err.code === 'exists' ? 409 : 400);
      throw err;
    }
    return this.run(cmd);
  }

  /** Imports a QuPath GeoJSON / ASAP XML file as one undoable step; a bad file changes nothing. */
  async import(path: string, mode: unknown = 'merge'): Promise<AnnotationDelta> {
    param(importModeSchema, mode, 'mode');
    if (path.includes('\0')) throw new ApiError('invalid-argument', 'The path holds a null byte (\\0): no file can have that name');
    // Relative paths would be read from the host process's working folder, not one the user chose.
    if (!isAbsolute(path)) throw new ApiError('invalid-argument', `Give a full (absolute) path to import from: ${JSON.stringify(path)} is relative`);
    let imported;
    try {
      imported = await readAnnotationFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new ApiError('not-found', `No such file: ${path}`, 404);
      if (code === 'EISDIR') throw new ApiError('invalid-argument', `${path} is a folder, not an annotation file`);
      if (err instanceof AnnotationImportError)
        throw new ApiError(
          'invalid-file',
          `Could not import ${path}: ${err.problem} (${err.location}). Nothing was changed.`,
          422,
        );
      throw new ApiError(
        'invalid-file',
        `Could not import ${path}: ${(err as Error).message}. Nothing was changed.`,
        422,
      );
    }
    if (imported.annotations.length === 0)
      throw new ApiError(
        'invalid-file',
        `${path} holds no annotations to import${imported.warnings.length ? ` (${imported.warnings[0]})` : ''}`,
        422,
      );
    const plan = planImport(this.store.doc, imported, mode as ImportMode);
    const warnings = [...imported.warnings];
    if (plan.duplicates > 0)
      warnings.push(
        `${plan.duplicates} annotation${plan.duplicates === 1 ? ' is' : 's are'} already on this slide (same class and shape): not imported again`,
      );
    // Nothing new (the same file again): no edit, no empty undo step.
    const nothing = plan.command.kind === 'batch' && plan.command.commands.length === 0;
    const delta = nothing ? this.change(() => {}) : this.run(plan.command);
    return { ...delta, warnings, imported: delta.upserted.length, duplicates: plan.duplicates, replaced: plan.replaced };
  }

  async export(path: string, overwrite: boolean): Promise<{ path: string; count: number }> {
    const doc = this.store.doc;
    try {
      // Absolute paths only, and only as a regular file (ExportTargetError, a 400 otherwise).
      await writeExport(path, `${JSON.stringify(exportGeoJson(doc), null, 1)}\n`, { overwrite });
    } catch (err) {
      if (err instanceof FileExistsError) throw new ApiError('exists', `${path} already exists`, 409);
      throw err;
    }
    return { path, count: doc.annotations.length };
  }

  private find(id: unknown): Annotation {
    const a = typeof id === 'string' ? this.store.get(id) : undefined;
    if (!a) throw new ApiError('not-found', `No annotation with id ${JSON.stringify(id)} on this slide`, 404);
    return a;
  }

  private run(cmd: AnnotationCommand): AnnotationDelta {
    return this.change(() => {
      try {
        this.store.execute(cmd);
      } catch (err) {
        throw new ApiError('invalid-argument', (err as Error).message);
      }
    });
  }

  private change(fn: () => void): AnnotationDelta {
    const before = this.store.doc;
    fn();
    const after = this.store.doc;
    if (after !== before) this.revision++;
    return {
      slideId: this.slideId,
      revision: this.revision,
      classes: after.classes,
      ...diff(before, after),
      canUndo: this.store.canUndo,
      canRedo: this.store.canRedo,
    };
  }
}

/** Annotations added or changed (by identity: commands reuse untouched objects) and ids removed. O(n). */
export function diff(
  before: AnnotationDocument,
  after: AnnotationDocument,
): { upserted: Annotation[]; removed: string[] } {
  if (before.annotations === after.annotations) return { upserted: [], removed: [] };
  const old = new Map(before.annotations.map((a) => [a.id, a]));
  const upserted = after.annotations.filter((a) => old.get(a.id) !== a);
  const kept = new Set(after.annotations.map((a) => a.id));
  const removed = before.annotations.filter((a) => !kept.has(a.id)).map((a) => a.id);
  return { upserted, removed };
}

/** `cmd`, preceded by adding class `name` when the slide does not have it yet (one undo step). */
function withClassCommand(doc: AnnotationDocument, name: string, cmd: AnnotationCommand): AnnotationCommand {
  if (doc.classes.some((c) => c.name === name)) return cmd;
  return {
    kind: 'batch',
    commands: [{ kind: 'set-classes', before: doc.classes, after: withClasses(doc.classes, [{ name }]) }, cmd],
  };
}

const invalidArgument = (message: string) => new ApiError('invalid-argument', message);

/** A parameter read with its schema (main/common/schemas/api-params.ts); a failure is a 400 naming it. */
function param<const S extends v.GenericSchema>(schema: S, value: unknown, name: string): v.InferOutput<S> {
  return readParam(schema, value, name, invalidArgument);
}

const nameSchema = v.pipe(v.string('must be text (at most 200 characters)'), v.maxLength(200, 'must be text (at most 200 characters)'));
const noteSchema = v.pipe(v.string('must be text (at most 5000 characters)'), v.maxLength(5000, 'must be text (at most 5000 characters)'));

function checkClassName(name: unknown, key = 'className'): string {
  return param(classNameSchema, name, key);
}

function checkColour(colour: unknown): Rgb {
  return param(colourSchema, colour, 'colour');
}

/**
 * The geometry with only its known fields, every geometry rule checked (main/common/schemas/geometry.ts:
 * finite, within ±1e9 px, rings of 3 distinct positions…), rectangles normalised to positive size.
 */
export function cleanGeometry(g: unknown, name = 'geometry'): AnnotationGeometry {
  return param(geometryInputSchema, g, name);
}
