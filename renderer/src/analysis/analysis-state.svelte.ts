// The analysis state of the slide in view: its annotations (with a spatial index the overlay queries per
// frame), the drawing tool, the encoder and embedding progress, probes, the heatmap and exports. Every
// change goes through the services; their deltas update what is held here.
import type {
  Annotation,
  AnnotationClass,
  AnnotationDelta,
  AnnotationGeometry,
  CheckpointPreview,
  ClassEdit,
  CheckpointWeights,
  EncoderStatus,
  ExportRequest,
  ExportResult,
  HeatmapColourMap,
  HeatmapRaster,
  LevelRect,
  ModelImportProgress,
  ModelList,
  ModelManifestDraft,
  ModelSummary,
  ProbeSummary,
  Rgb,
  TesseraEvent,
} from '../../../main/contracts/tessera-api';
import { AnnotationIndex } from '../../../main/common/annotation-index';
import { client } from '../lib/api';
import { app, messageOf } from '../lib/app-state.svelte';

export type Tool = 'pan' | 'select' | 'rectangle' | 'ellipse' | 'polygon' | 'brush' | 'eraser' | 'line' | 'point';

/** The slide's whole-slide (tissue only) run, as its progress bar shows it. */
export interface TissueRunState {
  state: 'starting' | 'running' | 'done' | 'cancelled' | 'failed';
  mpps: number[];
  done: number;
  total: number;
  message?: string;
}

const BACKGROUND_EMBEDDING_KEY = 'tessera.backgroundEmbedding';

/** The remembered "Embed the visible tissue in the background" preference (on unless turned off). */
function loadBackgroundEmbedding(): boolean {
  try {
    return globalThis.localStorage?.getItem(BACKGROUND_EMBEDDING_KEY) !== 'off';
  } catch {
    return true;
  }
}

const EMBEDDING_MPPS_KEY = 'tessera.embeddingMpps';

/** The remembered magnifications chosen per model id (for background embedding and training). */
function loadMppChoice(): Record<string, number[]> {
  try {
    const v = JSON.parse(globalThis.localStorage?.getItem(EMBEDDING_MPPS_KEY) ?? '{}') as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    const out: Record<string, number[]> = {};
    for (const [k, m] of Object.entries(v as Record<string, unknown>))
      if (Array.isArray(m) && m.every((x) => typeof x === 'number' && x > 0)) out[k] = m as number[];
    return out;
  } catch {
    return {};
  }
}

/** A model import running in the services: a checkpoint conversion reports its progress. */
export interface ModelImportState {
  path: string;
  name: string;
  /** Null for an ONNX import (no progress events). */
  progress: ModelImportProgress | null;
  /** The dialog was closed: the Models section shows the progress, and failures are notified. */
  background: boolean;
}

export interface HeatmapSettings {
  visible: boolean;
  className: string | null;
  colourMap: HeatmapColourMap;
  /** 0–1 */
  opacity: number;
  /** Cells below are not drawn. */
  threshold: number;
  /** One flat block per patch instead of smooth between patch centres. */
  showPatches: boolean;
  /** Alpha ramps up from the threshold, so low values are transparent (as CLAM/SlideFlow heatmaps). */
  ramp: boolean;
}

class AnalysisState {
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

  encoder = $state<EncoderStatus | null>(null);
  embedding = $state<{ done: number; total: number } | null>(null);
  /** The analysis panel is shown (its encoder section starts the encoder). */
  panelOpen = $state(false);
  /** User preference: embed the visible tissue of the slide in view as it settles, whichever tab shows. */
  backgroundEmbedding = $state(loadBackgroundEmbedding());
  /** Per model id: the magnifications (µm/px) its background embedding and training use (default all). */
  mppChoice = $state<Record<string, number[]>>(loadMppChoice());

  probes = $state<ProbeSummary[]>([]);
  probeId = $state<string | null>(null);
  training = $state(false);
  task = $state<{ label: string; done: number; total: number } | null>(null);
  heatmap = $state<HeatmapSettings>({
    visible: true,
    className: null,
    colourMap: 'viridis',
    opacity: 0.7,
    threshold: 0,
    showPatches: false,
    ramp: true,
  });
  raster = $state.raw<HeatmapRaster | null>(null);
  tissueRun = $state<TissueRunState | null>(null);

  models = $state.raw<ModelList | null>(null);
  /** Id of the model being switched to. */
  switchingTo = $state<string | null>(null);
  modelImport = $state<ModelImportState | null>(null);

  readonly annotations = new Map<string, Annotation>();
  readonly index = new AnnotationIndex();
  private viewport: LevelRect | null = null;
  private lastReported = '';
  private heatmapTimer: ReturnType<typeof setTimeout> | null = null;
  private heatmapInFlight = false;
  private heatmapAgain = false;
  private unlisten: (() => void) | null = null;

  probe = $derived(this.probes.find((p) => p.id === this.probeId) ?? null);

  /** Starts listening to service events (once). */
  private listen(): void {
    if (this.unlisten) return;
    this.unlisten = client.onEvent((e: TesseraEvent) => {
      if (e.type === 'embedding-progress' && e.slideId === this.slideId) {
        this.embedding = { done: e.done, total: e.total };
        this.scheduleHeatmap();
      } else if (e.type === 'model-import-progress') {
        if (this.modelImport?.path === e.path && this.modelImport.progress) this.modelImport.progress = e.progress;
      } else if (e.type === 'encoder-status') {
        this.setEncoder(e.status);
      } else if (e.type === 'tissue-run' && e.slideId === this.slideId) {
        this.tissueRun = { state: e.state, mpps: e.mpps, done: e.done, total: e.total, message: e.message };
        this.scheduleHeatmap(e.state === 'running' ? 500 : 0);
      } else if (
        e.type === 'progress' &&
        this.slideId &&
        (e.task === `train:${this.slideId}` || e.task === `export:${this.slideId}`)
      ) {
        this.task = e.done >= e.total ? null : { label: e.label, done: e.done, total: e.total };
      }
    });
  }

  /** The viewer shows slide `slideId`: load its annotations (and, once, the encoder and probes). */
  async attach(slideId: string): Promise<void> {
    this.listen();
    if (this.slideId === slideId) return;
    this.slideId = slideId;
    // The active probe is per slide: nothing is applied here until the user picks it (or trains one here).
    this.probeId = null;
    this.heatmap.visible = false;
    this.annotations.clear();
    this.index.reset([]);
    this.selectedId = null;
    this.raster = null;
    this.embedding = null;
    this.tissueRun = null;
    this.viewport = null;
    this.lastReported = '';
    this.version++;
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
    if (this.probes.length === 0) void this.loadProbes();
    if (this.panelOpen) this.ensureEncoder();
    try {
      const active = await client.api.getActiveProbe({ slideId });
      if (this.slideId !== slideId) return;
      if (active.probeId && active.probeId !== this.probeId) this.showProbe(active.probeId);
    } catch (err) {
      app.notify('error', `Could not read the slide's probe: ${messageOf(err)}`);
    }
    this.pushViewport();
    this.scheduleHeatmap(0);
  }

  private encoderRequested = false;

  /** Starts the encoder (first use of the analysis panel), so its name and provider show. */
  ensureEncoder(): void {
    if (this.encoder || this.encoderRequested) return;
    this.encoderRequested = true;
    client.api.getEncoderStatus().then(
      (s) => this.setEncoder(s),
      (err) => {
        this.encoderRequested = false;
        app.notify('error', `The encoder could not start: ${messageOf(err)}`);
      },
    );
  }

  /** A new encoder status: probes of another encoder no longer apply (embeddings are per model). */
  private setEncoder(status: EncoderStatus): void {
    const changed = this.encoder !== null && this.encoder.modelId !== status.modelId;
    this.encoder = status;
    if (!changed) return;
    this.embedding = null;
    this.tissueRun = null;
    if (this.probe && this.probe.encoder.modelId !== status.modelId) this.selectProbe(null);
    if (this.models) void this.loadModels();
  }

  /** Probes trained on the encoder in use. */
  get usableProbes(): ProbeSummary[] {
    return this.probes.filter((p) => !this.encoder || p.encoder.modelId === this.encoder.modelId);
  }

  detach(slideId: string): void {
    if (this.slideId !== slideId) return;
    void client.api.setViewport({ slideId, rect: null }).catch(() => {});
  }

  // Annotations --------------------------------------------------------------------------------

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

  // Models -------------------------------------------------------------------------------------

  async loadModels(): Promise<void> {
    try {
      this.models = await client.api.listModels();
    } catch (err) {
      app.notify('error', `Could not list the models: ${messageOf(err)}`);
    }
  }

  proposeModel(path: string): Promise<ModelManifestDraft> {
    return client.api.proposeModelManifest({ path });
  }

  /** What importing the timm checkpoint at `path` would do (its architecture, licence, manifest). */
  inspectCheckpoint(
    path: string,
    choice: { preset?: string; weights?: CheckpointWeights } = {},
  ): Promise<CheckpointPreview> {
    return client.api.inspectModelCheckpoint({ path, ...choice });
  }

  /** Imports (a checkpoint: converts, with progress in `modelImport`); one at a time. */
  async importModel(
    path: string,
    manifest: ModelManifestDraft,
    options: { replace?: boolean; preset?: string; weights?: CheckpointWeights } = {},
  ): Promise<ModelSummary> {
    if (this.modelImport) throw new Error('A model is being imported: wait for it to finish');
    this.listen();
    const state: ModelImportState = {
      path,
      name: manifest.name,
      progress: manifest.checkpoint ? { phase: 'reading', done: 0, total: 1 } : null,
      background: false,
    };
    this.modelImport = state;
    try {
      const model = await client.api.importModel({ path, manifest, ...options });
      app.notify('info', `Imported ${model.name} (${model.id}): choose "Use" to embed with it`);
      await this.loadModels();
      return model;
    } catch (err) {
      if (this.modelImport?.background) app.notify('error', `Could not import ${state.name}: ${messageOf(err)}`);
      throw err;
    } finally {
      this.modelImport = null;
    }
  }

  async selectModel(id: string): Promise<boolean> {
    if (this.switchingTo) return false;
    this.switchingTo = id;
    try {
      this.setEncoder(await client.api.selectModel({ id }));
      await this.loadModels();
      return true;
    } catch (err) {
      app.notify('error', messageOf(err));
      return false;
    } finally {
      this.switchingTo = null;
    }
  }

  // Whole-slide run -----------------------------------------------------------------------------

  /** Embeds all the slide's tissue at the probe's magnifications (or the encoder's); progress comes as events. */
  async runWholeSlide(): Promise<void> {
    const slideId = this.slideId;
    if (!slideId || this.tissueRunning) return;
    const probeId = this.probeId ?? undefined;
    const mpps = this.probe?.magnifications ?? this.encoder?.magnifications ?? [];
    this.tissueRun = { state: 'starting', mpps, done: 0, total: 0 };
    try {
      const r = await client.api.embedAllTissue({ slideId, probeId });
      if (this.slideId === slideId)
        this.tissueRun = { state: r.cancelled ? 'cancelled' : 'done', mpps: r.mpps, done: r.done, total: r.total };
      this.scheduleHeatmap(0);
    } catch (err) {
      if (this.slideId === slideId)
        this.tissueRun = { state: 'failed', mpps, done: 0, total: 0, message: messageOf(err) };
      app.notify('error', messageOf(err));
    }
  }

  get tissueRunning(): boolean {
    return this.tissueRun?.state === 'starting' || this.tissueRun?.state === 'running';
  }

  async cancelWholeSlide(): Promise<void> {
    if (!this.slideId) return;
    try {
      await client.api.cancelEmbedAllTissue({ slideId: this.slideId });
    } catch (err) {
      app.notify('error', messageOf(err));
    }
  }

  // Embeddings -----------------------------------------------------------------------------------

  /** The viewer settled on a new view (level-0 rectangle). */
  reportViewport(rect: LevelRect): void {
    this.viewport = rect;
    this.pushViewport();
  }

  /** Embedding runs while the background preference is on or a heatmap is shown. */
  get embeddingWanted(): boolean {
    return this.backgroundEmbedding || (this.heatmap.visible && this.probeId !== null);
  }

  /** Turns background embedding on or off (remembered); off stops reporting the view. */
  setBackgroundEmbedding(on: boolean): void {
    this.backgroundEmbedding = on;
    try {
      globalThis.localStorage?.setItem(BACKGROUND_EMBEDDING_KEY, on ? 'on' : 'off');
    } catch {
      // Not remembered (storage unavailable): still applies to this session.
    }
    this.pushViewport();
  }

  /** The encoder's magnifications chosen for embedding the view and training (all unless some were unchecked). */
  get embeddingMpps(): number[] {
    const e = this.encoder;
    if (!e) return [];
    const chosen = this.mppChoice[e.modelId];
    const kept = chosen ? e.magnifications.filter((m) => chosen.includes(m)) : [];
    return kept.length > 0 ? kept : e.magnifications;
  }

  /** Checks or unchecks one magnification of the current model (one always stays); remembered per model. */
  setEmbeddingMpp(mpp: number, on: boolean): void {
    const e = this.encoder;
    if (!e) return;
    const now = this.embeddingMpps;
    const next = e.magnifications.filter((m) => (m === mpp ? on : now.includes(m)));
    if (next.length === 0) return;
    this.mppChoice = { ...this.mppChoice, [e.modelId]: next };
    try {
      globalThis.localStorage?.setItem(EMBEDDING_MPPS_KEY, JSON.stringify(this.mppChoice));
    } catch {
      // Not remembered (storage unavailable): still applies to this session.
    }
    this.pushViewport();
  }

  pushViewport(): void {
    const slideId = this.slideId;
    if (!slideId) return;
    const rect = this.embeddingWanted ? this.viewport : null;
    const mpps = this.encoder ? this.embeddingMpps : undefined;
    const key = `${slideId}:${rect ? [rect.x, rect.y, rect.width, rect.height].map(Math.round).join(',') : 'off'}:${mpps?.join(',') ?? ''}`;
    if (key === this.lastReported) return;
    this.lastReported = key;
    client.api
      .setViewport({ slideId, rect, ...(mpps ? { mpps } : {}) })
      .catch((err) => app.notify('error', `Embedding could not start: ${messageOf(err)}`));
  }

  // Probes and heatmap ---------------------------------------------------------------------------

  async loadProbes(): Promise<void> {
    try {
      this.probes = await client.api.listProbes();
    } catch (err) {
      app.notify('error', `Could not list probes: ${messageOf(err)}`);
    }
  }

  /** Adds a probe file (a colleague's) to the list and shows it when it fits the encoder in use. */
  async loadProbe(path: string): Promise<boolean> {
    try {
      const probe = await client.api.loadProbe({ path });
      this.probes = [probe, ...this.probes.filter((p) => p.id !== probe.id)];
      if (this.encoder && probe.encoder.modelId !== this.encoder.modelId) {
        app.notify(
          'error',
          `Loaded "${probe.name}", trained on encoder "${probe.encoder.modelId}": switch to that model in Models to use it`,
        );
      } else {
        app.notify('info', `Loaded probe "${probe.name}"`);
        this.selectProbe(probe.id);
      }
      return true;
    } catch (err) {
      app.notify('error', `Could not load the probe: ${messageOf(err)}`);
      return false;
    }
  }

  async train(): Promise<ProbeSummary | null> {
    const slideId = this.slideId;
    if (!slideId || this.training) return null;
    this.training = true;
    this.task = { label: 'Training probe', done: 0, total: 1 };
    try {
      const mpps = this.encoder ? this.embeddingMpps : undefined;
      const probe = await client.api.trainProbe({ slideId, ...(mpps ? { mpps } : {}) });
      this.probes = [probe, ...this.probes.filter((p) => p.id !== probe.id)];
      this.selectProbe(probe.id);
      return probe;
    } catch (err) {
      app.notify('error', messageOf(err));
      return null;
    } finally {
      this.training = false;
      this.task = null;
    }
  }

  /** Applies probe `id` to the slide in view only (null: none); other slides keep their own choice. */
  selectProbe(id: string | null): void {
    const slideId = this.slideId;
    if (slideId)
      client.api
        .setActiveProbe({ slideId, probeId: id })
        .catch((err) => app.notify('error', `Could not apply the probe: ${messageOf(err)}`));
    this.showProbe(id);
  }

  /** Shows probe `id` here (what the slide's choice says), without changing the choice. */
  private showProbe(id: string | null): void {
    this.probeId = id;
    const probe = this.probes.find((p) => p.id === id);
    if (probe && !probe.classes.some((c) => c.name === this.heatmap.className)) {
      this.heatmap.className = probe.classes.find((c) => /^tumou?r$/i.test(c.name))?.name ?? probe.classes[0].name;
    }
    this.heatmap.visible = id !== null;
    this.raster = null;
    this.pushViewport();
    this.scheduleHeatmap(0);
  }

  setHeatmapClass(name: string): void {
    this.heatmap.className = name;
    this.scheduleHeatmap(0);
  }

  /** Refetches the heatmap soon (coalescing bursts of embedding progress). */
  scheduleHeatmap(delay = 500): void {
    if (!this.probeId || !this.slideId) return;
    if (this.heatmapTimer) {
      if (delay > 0) return;
      clearTimeout(this.heatmapTimer);
    }
    this.heatmapTimer = setTimeout(() => {
      this.heatmapTimer = null;
      void this.fetchHeatmap();
    }, delay);
  }

  private async fetchHeatmap(): Promise<void> {
    if (this.heatmapInFlight) {
      this.heatmapAgain = true;
      return;
    }
    const slideId = this.slideId;
    const probeId = this.probeId;
    if (!slideId || !probeId) return;
    this.heatmapInFlight = true;
    try {
      const raster = await client.api.getHeatmap({ slideId, probeId, className: this.heatmap.className ?? undefined });
      if (this.slideId === slideId && this.probeId === probeId) this.raster = raster;
    } catch (err) {
      if (this.probeId === probeId) {
        app.notify('error', messageOf(err));
        this.heatmap.visible = false;
        this.raster = null;
      }
    } finally {
      this.heatmapInFlight = false;
      if (this.heatmapAgain) {
        this.heatmapAgain = false;
        this.scheduleHeatmap(0);
      }
    }
  }

  async exportHeatmap(req: Omit<ExportRequest, 'slideId' | 'probeId'>): Promise<ExportResult> {
    if (!this.slideId || !this.probeId) throw new Error('Train or pick a probe first');
    return client.api.exportHeatmap({ ...req, slideId: this.slideId, probeId: this.probeId });
  }
}

export const analysis = new AnalysisState();
