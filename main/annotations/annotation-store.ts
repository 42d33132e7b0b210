// One slide's annotations while it is open: undoable edits, a spatial index kept in step, and
// debounced autosave to the user's data dir (atomic, so a crash leaves the last or previous save).
// Autosave waits for a quiet moment but never more than `autosaveMaxWaitMs` after the first unsaved edit;
// a failed save keeps the edits unsaved, is retried with backoff and is reported through onSaveState.
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

/** Writes a document to its file; the default is the atomic saveDocument. */
export type SaveDocument = (path: string, doc: AnnotationDocument) => Promise<void>;

export interface AnnotationStoreOptions {
  dataDir?: string;
  /** Quiet time after the last edit before saving (ms); default 500. */
  autosaveDelayMs?: number;
  /** Longest an edit waits for its save while edits keep coming (ms); default 1000. */
  autosaveMaxWaitMs?: number;
  /** Wait before retrying a failed save (ms), doubled after each failure in a row; default 1000. */
  retryDelayMs?: number;
  /** Cap on that wait (ms); default 30 000. */
  retryMaxDelayMs?: number;
  /** How the document is written (tests inject failures); default saveDocument. */
  save?: SaveDocument;
}

/** Where the store's saving stands, for the UI: a failure stays reported until a save succeeds. */
export interface AnnotationSaveState {
  /** saved: the file holds every edit; pending: edits wait for autosave; saving: a save is running;
   *  failed: the last save failed and the edits are kept (unsaved) for the next try. */
  status: 'saved' | 'pending' | 'saving' | 'failed';
  /** Failed saves in a row (0 unless failed, or saving again after a failure). */
  failures: number;
  /** Why the last save failed, for people (e.g. "the disk is full (ENOSPC)"); no file paths. */
  error?: string;
  /** When the next automatic try is due (ms since the epoch), while failed. */
  retryAt?: number;
}

/** A save that failed: the message says where and why; `reason` is the why alone. */
export class AnnotationSaveError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Annotations could not be saved: ${reason} (${path}); the edits are kept unsaved`, options);
    this.name = 'AnnotationSaveError';
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the folder is on a read-only file system',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'an input/output error',
  ENOTDIR: 'a file stands where a folder should be',
  EEXIST: 'a file stands where a folder should be',
  EMFILE: 'too many open files',
};

/** Why a save failed, in words and without the file names Node puts in its messages. */
export function saveFailureReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code && REASONS[code]) return `${REASONS[code]} (${code})`;
  const message = err instanceof Error ? err.message : String(err);
  const system = /^(E[A-Z0-9]+): ([^,]+)/.exec(message);
  if (system) return `${system[2]} (${system[1]})`;
  return code ? `${message.split(/[,:]/)[0]} (${code})` : message;
}

export class AnnotationStore {
  private history: History;
  readonly index: AnnotationIndex;
  private timer: NodeJS.Timeout | null = null;
  /** The save running now, if any (one at a time). */
  private inFlight: Promise<void> | null = null;
  /** Edits made, and how many of them the file holds. */
  private editCount = 0;
  private savedCount = 0;
  /** When the oldest unsaved edit not yet being saved was made, and the latest edit. */
  private firstUnsavedAt: number | null = null;
  private lastEditAt = 0;
  private state: AnnotationSaveState = { status: 'saved', failures: 0 };
  /** After close(): no more automatic saves (an explicit flush or close still saves). */
  private closed = false;
  private readonly listeners = new Set<(doc: AnnotationDocument) => void>();
  private readonly saveListeners = new Set<(state: AnnotationSaveState) => void>();
  private readonly autosaveDelayMs: number;
  private readonly autosaveMaxWaitMs: number;
  private readonly retryDelayMs: number;
  private readonly retryMaxDelayMs: number;
  private readonly save: SaveDocument;

  private constructor(
    readonly path: string,
    doc: AnnotationDocument,
    options: AnnotationStoreOptions,
  ) {
    this.history = startHistory(doc);
    this.index = new AnnotationIndex(doc.annotations);
    this.autosaveDelayMs = options.autosaveDelayMs ?? 500;
    this.autosaveMaxWaitMs = Math.max(this.autosaveDelayMs, options.autosaveMaxWaitMs ?? 1000);
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.retryMaxDelayMs = Math.max(this.retryDelayMs, options.retryMaxDelayMs ?? 30_000);
    this.save = options.save ?? saveDocument;
  }

  /** Opens (or starts) the annotations of the slide with this fingerprint. */
  static async open(slideFingerprint: string, options: AnnotationStoreOptions = {}): Promise<AnnotationStore> {
    const path = annotationFilePath(slideFingerprint, options.dataDir);
    const doc = (await loadDocument(path)) ?? emptyDocument(slideFingerprint, defaultClasses());
    if (doc.slideFingerprint !== slideFingerprint) throw new Error(`${path} belongs to slide ${doc.slideFingerprint}, not ${slideFingerprint}`);
    return new AnnotationStore(path, doc, options);
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

  get saveState(): AnnotationSaveState {
    return { ...this.state };
  }

  onChange(listener: (doc: AnnotationDocument) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called whenever the save state changes (pending, saving, saved, failed with its reason). */
  onSaveState(listener: (state: AnnotationSaveState) => void): () => void {
    this.saveListeners.add(listener);
    return () => this.saveListeners.delete(listener);
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

  /**
   * Saves now if anything changed since the last save; resolves when the file holds every edit made before
   * the call. Rejects with an AnnotationSaveError when the save fails (the edits stay unsaved and autosave
   * keeps retrying).
   */
  async flush(): Promise<void> {
    const target = this.editCount;
    while (this.savedCount < target) {
      if (this.inFlight) {
        await this.inFlight.catch(() => {});
        continue;
      }
      await this.startSave();
    }
  }

  /** Saves what is unsaved and stops autosave; rejects with the reason when that save fails (call again to retry). */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    await this.flush();
    this.listeners.clear();
    this.saveListeners.clear();
  }

  private commit(next: History, applied: AnnotationCommand): void {
    this.history = next;
    this.syncIndex(applied);
    this.editCount++;
    this.lastEditAt = Date.now();
    this.firstUnsavedAt ??= this.lastEditAt;
    if (this.state.status === 'saved') this.setState({ status: 'pending', failures: 0 });
    this.schedule();
    for (const l of this.listeners) l(next.doc);
  }

  /** Runs one save of the document as it is now; on failure the edits stay unsaved and a retry is planned. */
  private startSave(): Promise<void> {
    this.clearTimer();
    const count = this.editCount;
    const doc = this.history.doc;
    const since = this.firstUnsavedAt;
    this.firstUnsavedAt = null;
    this.setState({ ...this.state, status: 'saving', retryAt: undefined });
    const run = (async () => {
      try {
        await this.save(this.path, doc);
      } catch (err) {
        const reason = saveFailureReason(err);
        const failures = this.state.failures + 1;
        const wait = Math.min(this.retryMaxDelayMs, this.retryDelayMs * 2 ** (failures - 1));
        if (since !== null) this.firstUnsavedAt = Math.min(since, this.firstUnsavedAt ?? since);
        if (failures === 1) process.emitWarning(`annotation autosave failed (${this.path}): ${reason}; retrying`);
        this.setState({ status: 'failed', failures, error: reason, retryAt: Date.now() + wait });
        throw new AnnotationSaveError(this.path, reason, { cause: err });
      }
      this.savedCount = Math.max(this.savedCount, count);
      this.setState({ status: this.savedCount === this.editCount ? 'saved' : 'pending', failures: 0 });
    })();
    this.inFlight = run;
    void run
      .finally(() => {
        if (this.inFlight === run) this.inFlight = null;
        this.schedule();
      })
      .catch(() => {}); // the caller of startSave sees the failure; the state reports it
    return run;
  }

  /** Sets the autosave timer: a quiet moment after the last edit, at most max-wait after the first unsaved
   *  one; after failures, at the backoff time instead. Nothing while a save runs (it reschedules when done). */
  private schedule(): void {
    this.clearTimer();
    if (this.closed || this.inFlight || this.savedCount === this.editCount) return;
    let due: number;
    if (this.state.status === 'failed' && this.state.retryAt !== undefined) due = this.state.retryAt;
    else due = Math.min(this.lastEditAt + this.autosaveDelayMs, (this.firstUnsavedAt ?? this.lastEditAt) + this.autosaveMaxWaitMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.inFlight) this.startSave().catch(() => {}); // reported through the save state
    }, Math.max(0, due - Date.now()));
    this.timer.unref?.();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private setState(next: AnnotationSaveState): void {
    const prev = this.state;
    this.state = next;
    if (prev.status === next.status && prev.failures === next.failures && prev.error === next.error) return;
    for (const l of this.saveListeners) l({ ...next });
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
