// The annotations of the slide in view, with a spatial index the overlay queries per frame, the drawing
// tool and the class being drawn. Every change goes through the services; their deltas update what is held
// here. The base of the analysis state (`analysis-state.svelte.ts`), which adds embedding, probes and heatmaps.
import type {
  Annotation,
  AnnotationClass,
  AnnotationDelta,
  AnnotationGeometry,
  ClassEdit,
  Rgb,
} from '../../../main/contracts/tessera-api';
import { AnnotationIndex } from '../../../main/common/annotation-index';
import { client } from '../lib/api';
import { app, messageOf } from '../lib/app-state.svelte';
import { eraseStroke, isErasable } from './tools/eraser';

export type Tool = 'pan' | 'select' | 'rectangle' | 'ellipse' | 'polygon' | 'brush' | 'eraser' | 'line' | 'point';

export class AnnotationState {
  slideId = $state<string | null>(null);
  classes = $state<AnnotationClass[]>([]);
  /** Bumped on every annotation change: what draws or lists annotations depends on it. */
  version = $state(0);
  revision = 0;
  canUndo = $state(false);
  canRedo = $state(false);
  selectedId = $state<string | null>(null);
  tool = $state<Tool>('pan');
  activeClass = $state('Tumour');
  /** Brush diameter in screen pixels. */
  brushSize = $state(40);
  /** The list asked the viewer to show annotation `id` (`n` changes on every request). */
  zoomRequest = $state<{ id: string; n: number } | null>(null);
  /** What the last import did, shown under the import field until the next one. */
  lastImport = $state<{ path: string; added: number; replaced: number; warnings: string[] } | null>(null);
  readonly annotations = new Map<string, Annotation>();
  readonly index = new AnnotationIndex();

  /** Forgets the annotations held (another slide is shown). */
  protected clearAnnotations(): void {
    this.annotations.clear();
    this.index.reset([]);
    this.selectedId = null;
    this.version++;
  }

  /** Loads slide `slideId`'s annotations (unless another slide was shown meanwhile). */
  protected async loadAnnotations(slideId: string): Promise<void> {
    try {
      const snap = await client.api.getAnnotations({ slideId });
      if (this.slideId !== slideId) return;
      for (const a of snap.annotations) this.annotations.set(a.id, a);
      this.index.reset(snap.annotations);
      this.classes = snap.classes;
      this.revision = snap.revision;
      this.canUndo = snap.canUndo;
      this.canRedo = snap.canRedo;
      this.version++;
    } catch (err) {
      app.notify('error', `Could not load the annotations: ${messageOf(err)}`);
    }
  }


  get list(): Annotation[] {
    void this.version;
    return [...this.annotations.values()];
  }

  /** Locked itself, or its class is. */
  isLocked(a: Annotation): boolean {
    return a.locked === true || this.classes.some((c) => c.name === a.className && c.locked === true);
  }

  classColour(name: string): Rgb {
    return this.classes.find((c) => c.name === name)?.colour ?? [128, 128, 128];
  }

  private apply(delta: AnnotationDelta): void {
    if (delta.slideId !== this.slideId || delta.revision < this.revision) return;
    this.revision = delta.revision;
    for (const id of delta.removed) {
      this.annotations.delete(id);
      this.index.remove(id);
    }
    for (const a of delta.upserted) {
      this.annotations.set(a.id, a);
      this.index.insert(a);
    }
    this.classes = delta.classes;
    this.canUndo = delta.canUndo;
    this.canRedo = delta.canRedo;
    if (this.selectedId && !this.annotations.has(this.selectedId)) this.selectedId = null;
    this.version++;
  }

  private async edit(
    fn: (slideId: string) => Promise<AnnotationDelta>,
    failure: string,
  ): Promise<AnnotationDelta | null> {
    const slideId = this.slideId;
    if (!slideId) return null;
    try {
      const delta = await fn(slideId);
      this.apply(delta);
      return delta;
    } catch (err) {
      app.notify('error', `${failure}: ${messageOf(err)}`);
      return null;
    }
  }

  async add(geometry: AnnotationGeometry): Promise<void> {
    const delta = await this.edit(
      (slideId) => client.api.addAnnotation({ slideId, className: this.activeClass, geometry }),
      'Could not add the annotation',
    );
    if (delta && delta.upserted[0] && this.tool === 'select') this.selectedId = delta.upserted[0].id;
  }

  /** Several annotations of one class as one undoable step (label by example); the delta, or null on failure. */
  addAll(className: string, geometries: AnnotationGeometry[]): Promise<AnnotationDelta | null> {
    if (geometries.length === 0) return Promise.resolve(null);
    return this.edit((slideId) => client.api.addAnnotations({ slideId, className, geometries }), 'Could not add the annotations');
  }

  update(
    id: string,
    change: { geometry?: AnnotationGeometry; className?: string; name?: string; note?: string },
  ): Promise<AnnotationDelta | null> {
    return this.edit(
      (slideId) => client.api.updateAnnotation({ slideId, id, ...change }),
      'Could not change the annotation',
    );
  }

  remove(ids: string[]): Promise<AnnotationDelta | null> {
    if (ids.length === 0) return Promise.resolve(null);
    return this.edit((slideId) => client.api.deleteAnnotations({ slideId, ids }), 'Could not delete');
  }

  undo(): Promise<AnnotationDelta | null> {
    return this.edit((slideId) => client.api.undoAnnotations({ slideId }), 'Could not undo');
  }

  redo(): Promise<AnnotationDelta | null> {
    return this.edit((slideId) => client.api.redoAnnotations({ slideId }), 'Could not redo');
  }

  async setClass(name: string, colour: Rgb): Promise<void> {
    const delta = await this.edit(
      (slideId) => client.api.setAnnotationClass({ slideId, name, colour }),
      'Could not add the class',
    );
    if (delta) this.activeClass = name;
  }

  /** One class edit (create, rename, recolour, hide, lock, delete): one undo step. */
  async editClass(edit: Omit<ClassEdit, 'slideId'>): Promise<boolean> {
    const delta = await this.edit(
      (slideId) => client.api.editAnnotationClass({ slideId, ...edit }),
      edit.create ? 'Could not add the class' : 'Could not change the class',
    );
    if (!delta) return false;
    if (edit.create) this.activeClass = edit.name;
    else if (edit.rename && this.activeClass === edit.name) this.activeClass = edit.rename;
    else if (edit.delete && this.activeClass === edit.name) this.activeClass = delta.classes[0]?.name ?? 'Tumour';
    return true;
  }

  /** Erases a stroke out of the erasable annotations under it (not hidden, not locked). */
  async eraseUnder(stroke: [number, number][], radius: number): Promise<void> {
    const xs = stroke.map((p) => p[0]);
    const ys = stroke.map((p) => p[1]);
    const near = this.index.search({
      minX: Math.min(...xs) - radius,
      minY: Math.min(...ys) - radius,
      maxX: Math.max(...xs) + radius,
      maxY: Math.max(...ys) + radius,
    });
    const hidden = new Set(this.classes.filter((c) => c.hidden).map((c) => c.name));
    const gone: string[] = [];
    for (const a of near) {
      if (hidden.has(a.className) || this.isLocked(a) || !isErasable(a.geometry)) continue;
      const g = eraseStroke(a.geometry, stroke, radius);
      if (g === a.geometry) continue;
      if (g) await this.update(a.id, { geometry: g });
      else gone.push(a.id);
    }
    if (gone.length) await this.remove(gone);
  }

  /** Shows annotation `id` in the viewer (the layer fits the view to it) and selects it. */
  zoomTo(id: string): void {
    this.selectedId = id;
    this.zoomRequest = { id, n: (this.zoomRequest?.n ?? 0) + 1 };
  }

  /** Imports a file: `merge` skips what is already there; `replace` replaces all annotations (undoable). */
  async importFile(path: string, mode: 'merge' | 'replace' = 'merge'): Promise<boolean> {
    const delta = await this.edit((slideId) => client.api.importAnnotations({ slideId, path, mode }), 'Import failed');
    if (!delta) return false;
    const added = delta.imported ?? delta.upserted.length;
    const warnings = delta.warnings ?? [];
    this.lastImport = { path, added, replaced: delta.replaced ?? 0, warnings };
    app.notify(
      'info',
      `Imported ${added} annotation${added === 1 ? '' : 's'}${delta.replaced ? ` (replacing ${delta.replaced})` : ''}${warnings.length ? ` · ${warnings.length} note${warnings.length === 1 ? '' : 's'} (what was skipped and why) under Import` : ''}`,
    );
    return true;
  }

  /** Writes the slide's annotations as QuPath GeoJSON; 'exists' comes back for the caller to confirm. */
  async exportAnnotations(path: string, overwrite = false): Promise<{ path: string; count: number }> {
    if (!this.slideId) throw new Error('Open a slide first');
    return client.api.exportAnnotations({ slideId: this.slideId, path, overwrite });
  }
}
