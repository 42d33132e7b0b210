// One slide's annotations while it is open: undoable edits, a spatial index kept in step, and
// debounced autosave to the user's data dir (atomic, so a crash leaves the last or previous save).
import { defaultClasses } from './annotation-classes.js';
import {
  applyCommand,
  canRedo,
  canUndo,
  execute,
  invertCommand,
  redo,
  startHistory,
  undo,
  type AnnotationCommand,
  type History,
} from './annotation-commands.js';
import { annotationFilePath, loadDocument, saveDocument } from './annotation-file.js';
import { AnnotationIndex } from './annotation-index.js';
import { emptyDocument, type Annotation, type AnnotationDocument } from './annotation-model.js';

export interface AnnotationStoreOptions {
  dataDir?: string;
  /** Quiet time after the last edit before saving (ms). */
  autosaveDelayMs?: number;
}

export class AnnotationStore {
  private history: History;
  readonly index: AnnotationIndex;
  private timer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();
  private dirty = false;
  private readonly listeners = new Set<(doc: AnnotationDocument) => void>();

  private constructor(
    readonly path: string,
    doc: AnnotationDocument,
    private readonly autosaveDelayMs: number,
  ) {
    this.history = startHistory(doc);
    this.index = new AnnotationIndex(doc.annotations);
  }

  /** Opens (or starts) the annotations of the slide with this fingerprint. */
  static async open(slideFingerprint: string, options: AnnotationStoreOptions = {}): Promise<AnnotationStore> {
    const path = annotationFilePath(slideFingerprint, options.dataDir);
    const doc = (await loadDocument(path)) ?? emptyDocument(slideFingerprint, defaultClasses());
    if (doc.slideFingerprint !== slideFingerprint) throw new Error(`${path} belongs to slide ${doc.slideFingerprint}, not ${slideFingerprint}`);
    return new AnnotationStore(path, doc, options.autosaveDelayMs ?? 500);
  }

  get doc(): AnnotationDocument {
    return this.history.doc;
  }

  get canUndo(): boolean {
    return canUndo(this.history);
  }

  get canRedo(): boolean {
    return canRedo(this.history);
  }

  onChange(listener: (doc: AnnotationDocument) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  execute(cmd: AnnotationCommand): void {
    applyCommand(this.history.doc, cmd); // throws before anything changes when the command does not fit
    this.commit(execute(this.history, cmd), cmd);
  }

  undo(): void {
    const cmd = this.history.past[this.history.past.length - 1];
    if (cmd) this.commit(undo(this.history), invertCommand(cmd));
  }

  redo(): void {
    const cmd = this.history.future[0];
    if (cmd) this.commit(redo(this.history), cmd);
  }

  get(id: string): Annotation | undefined {
    return this.history.doc.annotations.find((a) => a.id === id);
  }

  /** Saves now if anything changed since the last save; resolves when the file is on disk. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.dirty) {
      this.dirty = false;
      const doc = this.history.doc;
      this.saving = this.saving.then(() => saveDocument(this.path, doc));
    }
    await this.saving;
  }

  async close(): Promise<void> {
    await this.flush();
    this.listeners.clear();
  }

  private commit(next: History, applied: AnnotationCommand): void {
    this.history = next;
    this.syncIndex(applied);
    this.dirty = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush().catch((err) => process.emitWarning(`annotation autosave failed: ${(err as Error).message}`)), this.autosaveDelayMs);
    this.timer.unref?.();
    for (const l of this.listeners) l(next.doc);
  }

  /** Updates the index by what the command changed: O(edit), not O(annotations). */
  private syncIndex(cmd: AnnotationCommand): void {
    switch (cmd.kind) {
      case 'add':
        for (const a of cmd.annotations) this.index.insert(a);
        return;
      case 'remove':
        for (const a of cmd.annotations) this.index.remove(a.id);
        return;
      case 'replace':
        this.index.remove(cmd.before.id);
        this.index.insert(cmd.after);
        return;
      case 'set-classes':
        return;
      case 'batch':
        for (const c of cmd.commands) this.syncIndex(c);
    }
  }
}
