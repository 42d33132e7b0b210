// The analysis state of the slide in view: on top of its annotations and drawing tool (`annotation-state`),
// the encoder and embedding progress, the whole-slide run, probes, and through parts of their own the
// models (`model-state`) and the heatmap (`heatmap-state`). Every change goes through the services; their
// events and deltas update what is held here.
import type {
  EncoderStatus,
  ExportRequest,
  ExportResult,
  LevelRect,
  ModelList,
  ModelManifestDraft,
  ProbeSummary,
  TesseraEvent,
} from '../../../main/contracts/tessera-api';
import { client } from '../lib/api';
import { app, messageOf } from '../lib/app-state.svelte';
import { AnnotationState } from './annotation-state.svelte';
import { loadBackgroundEmbedding, loadMppChoice, saveBackgroundEmbedding, saveMppChoice } from './embedding-preferences';
import { ModelState, type ModelImportState } from './model-state.svelte';
import { HeatmapState, type HeatmapSettings } from './heatmap-state.svelte';
import type { HeatmapView } from './heatmap-model';

export type { Tool } from './annotation-state.svelte';

/** The slide's whole-slide (tissue only) run, as its progress bar shows it. */
export interface TissueRunState {
  state: 'starting' | 'running' | 'done' | 'cancelled' | 'failed';
  mpps: number[];
  done: number;
  total: number;
  message?: string;
}

export type { ModelImportState } from './model-state.svelte';
export type { HeatmapSettings } from './heatmap-state.svelte';

class AnalysisState extends AnnotationState {
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
  /** The heatmap: settings, and the live raster of every class (updated from the services' binary deltas). */
  readonly heat = new HeatmapState(() => ({ slideId: this.slideId, probeId: this.appliedProbeId() }));
  tissueRun = $state<TissueRunState | null>(null);

  readonly modelState = new ModelState({ listen: () => this.listen(), setEncoder: (status) => this.setEncoder(status) });

  private viewport: LevelRect | null = null;
  private lastReported = '';
  private unlisten: (() => void) | null = null;

  probe = $derived(this.probes.find((p) => p.id === this.probeId) ?? null);

  get heatmap(): HeatmapSettings {
    return this.heat.settings;
  }

  /** What is held of the heatmap shown (null: nothing yet). */
  get raster(): HeatmapView | null {
    return this.heat.view;
  }

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
    this.clearAnnotations();
    this.heat.reset();
    this.embedding = null;
    this.tissueRun = null;
    this.viewport = null;
    this.lastReported = '';
    await this.loadAnnotations(slideId);
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

  /**
   * The probe the heatmap asks for: none while the encoder switches, or while the probe reads another
   * encoder's embeddings (the services would refuse it: the user switches back or picks another probe).
   */
  private appliedProbeId(): string | null {
    if (this.modelState.switchingTo) return null;
    if (this.probe && this.encoder && this.probe.encoder.modelId !== this.encoder.modelId) return null;
    return this.probeId;
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

  // Models (model-state.svelte.ts) ------------------------------------------------------------

  get models(): ModelList | null {
    return this.modelState.models;
  }

  /** Id of the model being switched to. */
  get switchingTo(): string | null {
    return this.modelState.switchingTo;
  }

  get modelImport(): ModelImportState | null {
    return this.modelState.modelImport;
  }

  loadModels = (): Promise<void> => this.modelState.loadModels();
  proposeModel = (path: string): Promise<ModelManifestDraft> => this.modelState.proposeModel(path);
  inspectCheckpoint: ModelState['inspectCheckpoint'] = (path, choice) => this.modelState.inspectCheckpoint(path, choice);
  importModel: ModelState['importModel'] = (path, manifest, options) => this.modelState.importModel(path, manifest, options);
  selectModel = (id: string): Promise<boolean> => this.modelState.selectModel(id);

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
    saveBackgroundEmbedding(on);
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
    saveMppChoice(this.mppChoice);
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
    this.heat.reset();
    this.pushViewport();
    this.scheduleHeatmap(0);
  }

  /** Shows another class of the heatmap: every class is held, so no request. */
  setHeatmapClass(name: string): void {
    this.heat.setClass(name);
  }

  /** Asks for what changed in the heatmap soon (coalescing bursts of embedding progress). */
  scheduleHeatmap(delay = 250): void {
    this.heat.schedule(delay);
  }

  exportHeatmap(req: Omit<ExportRequest, 'slideId' | 'probeId'>): Promise<ExportResult> {
    return this.heat.exportHeatmap(req);
  }
}

export const analysis = new AnalysisState();
