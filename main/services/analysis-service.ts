// The analysis services behind the contract: annotations per open slide, viewport-driven embedding,
// probe training on the slide's annotations, heatmaps and exports. One EmbeddingService (model, worker,
// on-disk cache) serves them all; events (embedding progress, training and export progress) go out on
// the slide service's event channel, which both transports forward.
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { AnnotationSaveError, AnnotationStore, type SaveDocument } from '../annotations/annotation-store.js';
import { isAreal } from '../annotations/geometry.js';
import { FileExistsError } from '../common/atomic-write.js';
import { checkExportTarget, ExportTargetError } from '../common/export-target.js';
import { tesseraDataDir } from '../common/data-dir.js';
import type {
  ActiveProbe,
  AnalysisExportFormat,
  CheckpointPreview,
  EncoderStatus,
  ExportRequest,
  ExportResult,
  HeatmapRaster,
  LevelRect,
  ModelList,
  ModelImportProgress,
  ModelManifestDraft,
  ModelSummary,
  ProbeSummary,
  TissueRunResult,
  RegionImage,
  SimilarityResult,
} from '../contracts/analysis.js';
import type { TesseraEvent } from '../contracts/tessera-api.js';
import { EmbeddingScheduler } from '../encoder/embedding-scheduler.js';
import { EmbeddingService } from '../encoder/embedding-service.js';
import { overlappingStride } from '../encoder/patch-grid.js';
import { analysisAssumptions, probeSlideNames, trainedOnSlide } from '../heatmap/assumptions.js';
import { defaultClassName, exportHeatmap } from '../export/export-heatmap.js';
import { exportFormatOf } from '../export/write-export.js';
import type { ColourMapName } from '../heatmap/colour-maps.js';
import { applyProbe, checkEncoder, type PatchProbabilities } from '../probe/apply-probe.js';
import { EncoderSlideEmbedder } from './encoder-slide-embedder.js';
import { ProbeFileError, type ProbeEncoder, type ProbeFile } from '../probe/probe-file.js';
import type { ReportRegion } from '../export/probe-report-html.js';
import type { SlideEmbeddings } from '../probe/slide-embeddings.js';
import { trainProbeFromSlides } from '../probe/train-probe-from-slides.js';
import { slideFingerprint } from '../slide/slide-fingerprint.js';
import { SlideAnnotations } from './analysis-annotations.js';
import { heatmapRaster } from './analysis-heatmap.js';
import { regionImage, searchSimilar } from './analysis-search.js';
import {
  checkCheckpointChoice,
  importModelFile,
  inspectModelCheckpoint,
  listModelSummaries,
  modelApiError,
  proposeModelDraft,
  readEncoderChoice,
  saveEncoderChoice,
} from './analysis-models.js';
import { ProbeLibrary, type NamedProbe } from './analysis-probes.js';
import { ApiError } from './api-error.js';
import type { SlideService } from './slide-service.js';
import type { EventBus } from './event-bus.js';

export interface AnalysisServiceOptions {
  slides: SlideService;
  /** Where its events go; default the slide service's bus (the composition root passes the one bus). */
  events?: EventBus;
  /** Annotations and probes live here; default: common/data-dir.ts (read at first use). */
  dataDir?: string;
  /** The embedding runtime; default a fresh EmbeddingService (user's models and cache), made at first use. */
  embeddings?: EmbeddingService;
  autosaveDelayMs?: number;
  /** How annotation files are written (tests inject failing disks); default the atomic saveDocument. */
  saveAnnotations?: SaveDocument;
}

interface SlideState {
  id: string;
  path: string;
  name: string;
  annotations: Promise<SlideAnnotations>;
  scheduler?: Promise<EmbeddingScheduler>;
  viewport: LevelRect | null;
  /** The magnifications its view embeds (null: all the model's). */
  viewportMpps: number[] | null;
  added: number;
  /** The probe this slide shows (chosen per slide; none until chosen, or trained here). */
  probeId: string | null;
}

/** A whole-slide tissue run in progress. */
interface TissueRun {
  controller: AbortController;
  done: Promise<unknown>;
}

const FORMAT_EXTENSIONS: Record<AnalysisExportFormat, string[]> = {
  png: ['png'],
  tiff: ['tif'],
  geojson: ['geojson'],
  csv: ['csv'],
  html: ['html'],
};

export class AnalysisService {
  private readonly slides: SlideService;
  private readonly states = new Map<string, SlideState>();
  private embeddingService: EmbeddingService | undefined;
  private embedderInstance: EncoderSlideEmbedder | undefined;
  private library: ProbeLibrary | undefined;
  private training: Promise<unknown> | null = null;
  private readonly runs = new Map<string, TissueRun>();
  /** Loads the remembered encoder once (the baseline when there is none or it fails). */
  private encoderReady: Promise<ProbeEncoder> | undefined;
  /** Notes about the encoder choice (a remembered model that failed to load). */
  private modelNotices: string[] = [];
  private switching: Promise<unknown> | null = null;
  /** The model import in progress (one at a time); aborted on close. */
  private modelImport: { controller: AbortController; done: Promise<unknown> } | null = null;
  /** The slide whose viewport was reported last (the one in view). */
  private inView: string | null = null;
  private readonly unsubscribe: () => void;
  private readonly events: EventBus;

  constructor(private readonly options: AnalysisServiceOptions) {
    this.slides = options.slides;
    this.embeddingService = options.embeddings;
    this.events = options.events ?? options.slides.events;
    this.unsubscribe = this.events.on((e) => {
      if (e.type === 'slides-changed') void this.forgetClosed(new Set(e.slides.map((s) => s.id)));
    });
  }

  private get dataDir(): string {
    return this.options.dataDir ?? tesseraDataDir();
  }

  /** Where exports go unless the user picks elsewhere: `<data dir>/exports` (made on first export). */
  get exportsFolder(): string {
    return join(this.dataDir, 'exports');
  }

  private emit(event: TesseraEvent): void {
    this.events.emit(event);
  }

  private get embeddings(): EmbeddingService {
    if (!this.embeddingService) {
      this.embeddingService = new EmbeddingService({ dataDir: this.options.dataDir }); // pixel sizes users set, beside the annotations
    }
    return this.embeddingService;
  }

  private get embedder(): EncoderSlideEmbedder {
    if (!this.embedderInstance) {
      const service = this.embeddings;
      service.on(
        'notice',
        () =>
          void this.encoderStatus().then(
            (status) => this.emit({ type: 'encoder-status', status }),
            () => {},
          ),
      );
      this.embedderInstance = new EncoderSlideEmbedder(service);
    }
    return this.embedderInstance;
  }

  private get probes(): ProbeLibrary {
    this.library ??= new ProbeLibrary(join(this.dataDir, 'probes'));
    return this.library;
  }

  /** The per-slide state of an open slide (annotations opened on first use). */
  private state(slideId: unknown): SlideState {
    if (typeof slideId !== 'string' || slideId === '')
      throw new ApiError('invalid-argument', 'Parameter "slideId" must be a non-empty string');
    const info = this.slides.info(slideId); // not-found for unknown ids
    let s = this.states.get(slideId);
    if (!s) {
      const dataDir = this.dataDir;
      const annotations = slideFingerprint(info.path)
        .then((fp) =>
          AnnotationStore.open(fp, {
            dataDir,
            autosaveDelayMs: this.options.autosaveDelayMs,
            save: this.options.saveAnnotations,
          }),
        )
        .then(
          (store) =>
            new SlideAnnotations(slideId, store, {
              name: info.name,
              notify: (message) => this.emit({ type: 'error', message }),
            }),
        );
      annotations.catch(() => this.states.delete(slideId));
      s = { id: slideId, path: info.path, name: info.name, annotations, viewport: null, viewportMpps: null, added: 0, probeId: null };
      this.states.set(slideId, s);
    }
    return s;
  }

  annotations(slideId: unknown): Promise<SlideAnnotations> {
    return this.state(slideId).annotations;
  }

  /** The encoder in use: on first use the one the user chose last, the baseline when that fails. */
  private async encoder(): Promise<ProbeEncoder> {
    if (this.switching) await this.switching.catch(() => {});
    this.encoderReady ??= (async () => {
      const saved = await readEncoderChoice(this.dataDir);
      if (saved) {
        try {
          return await this.embedder.encoder(saved);
        } catch (err) {
          this.modelNotices = [
            `The encoder "${saved}" chosen last could not load (${(err as Error).message}); using the baseline`,
          ];
        }
      }
      return this.embedder.encoder();
    })();
    this.encoderReady.catch(() => (this.encoderReady = undefined));
    await this.encoderReady;
    return this.embedder.encoder();
  }

  // Embeddings ------------------------------------------------------------------------------------

  async encoderStatus(): Promise<EncoderStatus> {
    await this.encoder();
    const m = this.embeddings.model!;
    const runtime = this.embeddings.runtime;
    return {
      modelId: m.id,
      name: m.name,
      description: m.description ?? '',
      provider: runtime?.provider ?? null,
      notices: [...this.modelNotices, ...(runtime?.notices ?? [])],
      baseline: m.baseline === true,
      magnifications: m.magnifications,
    };
  }

  /**
   * The settled viewport of a slide: its visible tissue is embedded (centre first) in the background, at
   * `mpps` (those of the model's magnifications; default all of them, as the CLI's `--mpp`).
   */
  async setViewport(slideId: unknown, rect: unknown, mpps?: unknown): Promise<void> {
    const s = this.state(slideId);
    if (mpps !== undefined && mpps !== null) s.viewportMpps = checkMpps(mpps);
    else s.viewportMpps = null;
    this.inView = s.id;
    // Only the slide in view embeds.
    for (const other of this.states.values())
      if (other !== s && other.scheduler)
        void other.scheduler.then(
          (sc) => sc.stop(),
          () => {},
        );
    if (rect === null || rect === undefined) {
      s.viewport = null;
      if (s.scheduler) await (await s.scheduler).stop();
      return;
    }
    const info = this.slides.info(s.id);
    const r = checkRect(rect);
    const x = Math.max(0, r.x);
    const y = Math.max(0, r.y);
    const clamped = {
      x,
      y,
      width: Math.min(info.width, r.x + r.width) - x,
      height: Math.min(info.height, r.y + r.height) - y,
    };
    if (clamped.width <= 0 || clamped.height <= 0) return;
    s.viewport = clamped;
    if (this.training || this.switching || this.runs.has(s.id)) return; // resumed when that ends
    const scheduler = await this.scheduler(s);
    const modelMpps = this.embeddings.model!.magnifications;
    const wanted = s.viewportMpps ? modelMpps.filter((m) => s.viewportMpps!.includes(m)) : modelMpps;
    if (s.viewportMpps && wanted.length === 0)
      throw new ApiError(
        'invalid-argument',
        `The encoder embeds at ${modelMpps.join(', ')} µm/px: none of ${s.viewportMpps.join(', ')} is among them`,
      );
    void scheduler
      .setViewport(clamped, wanted)
      .catch((err: unknown) => this.emit({ type: 'error', message: `Embedding failed: ${(err as Error).message}` }));
  }

  private scheduler(s: SlideState): Promise<EmbeddingScheduler> {
    if (!s.scheduler) {
      s.scheduler = (async () => {
        await this.encoder();
        const ctx = await this.embeddings.slide(s.path);
        // The visible tissue on the heatmap's overlapping grid (its non-overlapping patches are among them).
        const scheduler = new EmbeddingScheduler(this.embeddings, ctx, { stride: this.stride });
        scheduler.on('embedded', (b: { coords: Int32Array }) => (s.added += b.coords.length / 2));
        scheduler.on('progress', (p: { done: number; total: number }) => {
          this.emit({ type: 'embedding-progress', slideId: s.id, done: p.done, total: p.total, added: s.added });
        });
        scheduler.on('error', (err: Error) =>
          this.emit({ type: 'error', message: `Embedding failed: ${err.message}` }),
        );
        return scheduler;
      })();
      s.scheduler.catch(() => (s.scheduler = undefined));
    }
    return s.scheduler;
  }

  // Pixel size ------------------------------------------------------------------------------------

  /**
   * Sets (or clears) the slide's pixel size through `apply` (the slide service stores it), then restarts the
   * slide's embedding on the new grid: its scheduler is dropped, the embedding service takes the new scale.
   * Refused (busy) while a probe trains or the slide is embedded whole, whose grids would change under them.
   */
  async setPixelSize<T>(slideId: string, apply: () => Promise<T & { scale: { mpp: number; source: string } }>): Promise<T> {
    if (this.training) throw new ApiError('busy', 'A probe is training: wait for it to finish', 409);
    if (this.runs.has(slideId)) throw new ApiError('busy', 'This slide is being embedded whole: cancel that first', 409);
    const info = await apply();
    const s = this.states.get(slideId);
    const scheduler = s?.scheduler;
    if (s) s.scheduler = undefined;
    await scheduler?.then(
      (sc) => sc.stop(),
      () => {},
    );
    if (this.embeddingService) {
      const fingerprint = await slideFingerprint(this.slides.info(slideId).path);
      await this.embeddingService.setUserMpp(fingerprint, info.scale.source === 'user' ? info.scale.mpp : null);
    }
    if (s?.viewport && this.inView === s.id) void this.setViewport(s.id, s.viewport, s.viewportMpps).catch(() => {});
    return info;
  }

  // Whole-slide runs ------------------------------------------------------------------------------

  /**
   * Embeds every tissue patch of the slide at `mpps` (default: the probe's magnifications, else the
   * encoder's), with `tissue-run` events; resolves when done or cancelled (cancelEmbedAllTissue, slide closed).
   */
  async embedAllTissue(params: { slideId?: unknown; probeId?: unknown; mpps?: unknown }): Promise<TissueRunResult> {
    const s = this.state(params.slideId);
    if (this.runs.has(s.id)) throw new ApiError('busy', 'This slide is already being embedded whole', 409);
    if (this.training) throw new ApiError('busy', 'A probe is training: wait for it to finish', 409);
    if (this.switching) throw new ApiError('busy', 'The encoder is switching: try again in a moment', 409);
    const controller = new AbortController();
    let finished!: () => void;
    this.runs.set(s.id, { controller, done: new Promise<void>((r) => (finished = r)) });
    let mpps: number[] = [];
    const counts: { done: number; total: number }[] = [];
    const sum = (k: 'done' | 'total') => counts.reduce((a, c) => a + c[k], 0);
    const event = (state: 'running' | 'done' | 'cancelled' | 'failed', message?: string) =>
      this.emit({
        type: 'tissue-run',
        slideId: s.id,
        state,
        mpps,
        done: sum('done'),
        total: sum('total'),
        ...(message ? { message } : {}),
      });
    try {
      const encoder = await this.encoder();
      if (params.mpps !== undefined) mpps = checkMpps(params.mpps);
      else if (params.probeId !== undefined && params.probeId !== null) {
        const { probe } = await this.probes.get(params.probeId);
        if (probe.encoder.modelId !== encoder.modelId)
          throw new ApiError(
            'encoder-mismatch',
            `This probe was trained on encoder "${probe.encoder.modelId}", but slides are now embedded with "${encoder.modelId}"`,
            409,
          );
        mpps = probe.magnifications;
      } else mpps = this.embeddings.model!.magnifications;
      if (s.scheduler) await (await s.scheduler).stop();
      const ctx = await this.embeddings.slide(s.path);
      // Totals first, so the bar means the same thing from the first patch to the last.
      for (const mpp of mpps) {
        controller.signal.throwIfAborted();
        const coords = await this.embeddings.patchesIn(ctx, this.embeddings.grid(ctx, mpp, this.stride));
        counts.push({ done: 0, total: coords.length / 2 });
      }
      let last = 0; // the first progress (what the cache already holds) goes out at once
      await this.embeddings.embed(ctx, {
        mpps,
        stride: this.stride,
        signal: controller.signal,
        onProgress: (p) => {
          counts[mpps.indexOf(p.mpp)] = { done: p.done, total: p.total };
          const now = Date.now();
          if (now - last >= 150 || p.done === p.total) {
            last = now;
            event('running');
          }
        },
      });
      event('done');
      return { slideId: s.id, mpps, done: sum('done'), total: sum('total'), cancelled: false };
    } catch (err) {
      if (controller.signal.aborted) {
        event('cancelled');
        return { slideId: s.id, mpps, done: sum('done'), total: sum('total'), cancelled: true };
      }
      const e =
        err instanceof ApiError
          ? err
          : new ApiError('embedding-failed', `Embedding the slide failed: ${(err as Error).message}`, 500);
      event('failed', e.message);
      throw e;
    } finally {
      this.runs.delete(s.id);
      finished();
      if (s.viewport && this.inView === s.id && this.states.has(s.id))
        void this.setViewport(s.id, s.viewport, s.viewportMpps).catch(() => {});
    }
  }

  /** Stops the slide's whole-slide run; resolves once it has stopped (false when none was running). */
  async cancelEmbedAllTissue(slideId: unknown): Promise<boolean> {
    if (typeof slideId !== 'string' || slideId === '')
      throw new ApiError('invalid-argument', 'Parameter "slideId" must be a non-empty string');
    const run = this.runs.get(slideId);
    if (!run) return false;
    run.controller.abort();
    await run.done;
    return true;
  }

  // Models ----------------------------------------------------------------------------------------

  async listModels(): Promise<ModelList> {
    const { modelId } = await this.encoder();
    return listModelSummaries(this.embeddings, modelId);
  }

  async proposeModelManifest(path: unknown): Promise<ModelManifestDraft> {
    return proposeModelDraft(checkPath(path));
  }

  async inspectModelCheckpoint(params: {
    path?: unknown;
    preset?: unknown;
    weights?: unknown;
  }): Promise<CheckpointPreview> {
    return inspectModelCheckpoint(checkPath(params.path), checkCheckpointChoice(params));
  }

  /**
   * Imports an ONNX model, or converts a timm checkpoint in a worker (the viewer keeps serving meanwhile),
   * sending `model-import-progress` events. One import at a time.
   */
  async importModel(params: {
    path?: unknown;
    manifest?: unknown;
    replace?: unknown;
    preset?: unknown;
    weights?: unknown;
  }): Promise<ModelSummary> {
    const path = checkPath(params.path);
    const choice = checkCheckpointChoice(params);
    if (this.modelImport) throw new ApiError('busy', 'A model is being imported: wait for it to finish', 409);
    const controller = new AbortController();
    const slot = { controller, done: Promise.resolve() as Promise<unknown> };
    this.modelImport = slot;
    try {
      const { modelId } = await this.encoder();
      const run = importModelFile(this.embeddings, path, params.manifest, {
        ...choice,
        replace: params.replace === true,
        activeId: modelId,
        signal: controller.signal,
        onProgress: this.importProgress(path),
      });
      slot.done = run.catch(() => {});
      return await run;
    } finally {
      this.modelImport = null;
    }
  }

  /** Emits a conversion's progress: every phase change, and weight progress at most every 100 ms. */
  private importProgress(path: string): (p: ModelImportProgress) => void {
    let phase = '';
    let last = 0;
    return (progress) => {
      const now = Date.now();
      if (progress.phase === phase && progress.done < progress.total && now - last < 100) return;
      phase = progress.phase;
      last = now;
      this.emit({ type: 'model-import-progress', path, progress });
    };
  }

  /** Switches the encoder: viewport embedding stops, restarts on the new model's caches; remembered. */
  async selectModel(id: unknown): Promise<EncoderStatus> {
    if (typeof id !== 'string' || id === '')
      throw new ApiError('invalid-argument', 'Parameter "id" must be a non-empty string');
    if (this.training) throw new ApiError('busy', 'A probe is training: switch the encoder when it has finished', 409);
    if (this.runs.size > 0)
      throw new ApiError('busy', 'A slide is being embedded whole: cancel it or wait before switching', 409);
    if (this.switching) throw new ApiError('busy', 'The encoder is already switching', 409);
    const current = await this.encoder();
    if (current.modelId !== id) {
      const run = (async () => {
        // No batch of the old model may land in the new model's cache: stop every scheduler first.
        const states = [...this.states.values()];
        await Promise.all(
          states.map((s) =>
            s.scheduler?.then(
              (sc) => sc.stop(),
              () => {},
            ),
          ),
        );
        try {
          await this.embedder.encoder(id);
        } catch (err) {
          throw modelApiError(err, `Could not switch to "${id}" (still using "${current.modelId}")`);
        } finally {
          // Schedulers hold the old model's grids and stores: made afresh on the next viewport.
          for (const s of states) {
            s.scheduler = undefined;
            s.added = 0;
          }
        }
        this.modelNotices = [];
        await saveEncoderChoice(this.dataDir, id).catch((err: unknown) =>
          this.emit({ type: 'error', message: `Could not remember the encoder choice: ${(err as Error).message}` }),
        );
      })();
      this.switching = run;
      try {
        await run;
      } finally {
        this.switching = null;
        const s = this.inView ? this.states.get(this.inView) : undefined;
        if (s?.viewport) void this.setViewport(s.id, s.viewport, s.viewportMpps).catch(() => {});
      }
    }
    const status = await this.encoderStatus();
    this.emit({ type: 'encoder-status', status });
    return status;
  }

  // Probes ----------------------------------------------------------------------------------------

  async trainProbe(params: {
    slideId?: unknown;
    classes?: unknown;
    mpps?: unknown;
    name?: unknown;
  }): Promise<ProbeSummary> {
    const s = this.state(params.slideId);
    if (this.training) throw new ApiError('busy', 'A probe is already training: wait for it to finish', 409);
    if (this.runs.has(s.id))
      throw new ApiError('busy', 'This slide is being embedded whole: wait for it to finish or cancel it', 409);
    if (this.switching) throw new ApiError('busy', 'The encoder is switching: try again in a moment', 409);
    const doc = (await s.annotations).store.doc;
    const wanted = params.classes === undefined ? null : checkStringList(params.classes, 'classes');
    const areal = doc.annotations.filter((a) => isAreal(a.geometry) && (!wanted || wanted.includes(a.className)));
    const classNames = doc.classes.map((c) => c.name).filter((n) => areal.some((a) => a.className === n));
    for (const a of areal) if (!classNames.includes(a.className)) classNames.push(a.className);
    if (classNames.length < 2) {
      throw new ApiError(
        'invalid-argument',
        `Draw regions of at least two classes (e.g. Tumour and Normal) to train a probe; this slide has ${classNames.length ? `only ${classNames.join(', ')}` : 'no area annotations'}`,
      );
    }
    const encoder = await this.encoder();
    const mpps = params.mpps === undefined ? this.embeddings.model!.magnifications : checkMpps(params.mpps);
    const name =
      typeof params.name === 'string' && params.name.trim()
        ? params.name.trim()
        : `${classNames.join(' vs ')} · ${s.name}`;
    const task = `train:${s.id}`;
    const label = `Training probe (${classNames.join(' vs ')})`;
    const run = (async () => {
      if (s.scheduler) await (await s.scheduler).stop();
      const totals = new Map<number, { done: number; total: number }>();
      this.emit({ type: 'progress', task, label: `${label}: embedding annotated regions`, done: 0, total: 1 });
      const probe = await trainProbeFromSlides({
        embedder: this.embedder,
        inputs: [{ slidePath: s.path, annotations: areal, classes: doc.classes, source: s.name }],
        modelId: encoder.modelId,
        mpps,
        onProgress: (_slide, p) => {
          totals.set(p.mpp, { done: p.done, total: p.total });
          const done = [...totals.values()].reduce((a, t) => a + t.done, 0);
          const total = [...totals.values()].reduce((a, t) => a + t.total, 0);
          this.emit({
            type: 'progress',
            task,
            label: `${label}: embedding annotated regions`,
            done,
            total: Math.max(total, done + 1),
          });
        },
      });
      this.emit({ type: 'progress', task, label: `${label}: saving`, done: 0, total: 1 });
      return this.probes.add(probe, name);
    })();
    this.training = run;
    try {
      const summary = await run;
      s.probeId = summary.id; // training on a slide chooses its probe there, and nowhere else
      return summary;
    } catch (err) {
      if (err instanceof ApiError) throw err;
      throw new ApiError('training-failed', `Training failed: ${(err as Error).message}`, 422);
    } finally {
      this.training = null;
      this.emit({ type: 'progress', task, label, done: 1, total: 1 });
      if (s.viewport) void this.setViewport(s.id, s.viewport, s.viewportMpps).catch(() => {});
    }
  }

  listProbes(): Promise<ProbeSummary[]> {
    return this.probes.list();
  }

  /** The probe a slide shows: none until the user picks one there (or trains one on it). */
  getActiveProbe(slideId: unknown): ActiveProbe {
    const s = this.state(slideId);
    return { slideId: s.id, probeId: s.probeId };
  }

  /** Applies a probe to this slide only (null: none); a probe from another slide is applied only this way. */
  async setActiveProbe(params: { slideId?: unknown; probeId?: unknown }): Promise<ActiveProbe> {
    const s = this.state(params.slideId);
    if (params.probeId === null || params.probeId === undefined) s.probeId = null;
    else s.probeId = (await this.probes.get(params.probeId)).id;
    return { slideId: s.id, probeId: s.probeId };
  }

  /** Patch px between patch origins of the app's grids: half the encoder's patch (overlapping). */
  private get stride(): number {
    return overlappingStride(this.embeddings.model?.input.size ?? 224);
  }

  /** What a heatmap of `probe` on slide `s` assumed, and the probe it names. */
  private async provenance(s: SlideState, probeId: string, probe: NamedProbe, embeddings: SlideEmbeddings) {
    const fingerprint = embeddings.slideFingerprint;
    return {
      probe: {
        probeId,
        name: probe.name ?? probe.classes.map((c) => c.name).join(' vs '),
        trainedOn: probeSlideNames(probe),
        trainedOnThisSlide: trainedOnSlide(probe, fingerprint),
      },
      assumptions: analysisAssumptions({ probe, slideFingerprint: fingerprint, scale: embeddings.scale, model: this.embeddings.model }),
    };
  }

  loadProbe(path: unknown): Promise<ProbeSummary> {
    return this.probes.import(checkPath(path));
  }

  // Heatmaps and exports ------------------------------------------------------------------------

  /** The probe's probabilities on what the cache holds of this slide (or, `allTissue`, on all its tissue). */
  private async probabilities(
    s: SlideState,
    probeId: unknown,
    allTissue = false,
    onProgress?: (done: number, total: number) => void,
  ): Promise<{ probe: NamedProbe; embeddings: SlideEmbeddings; probabilities: PatchProbabilities }> {
    const { probe } = await this.probes.get(probeId);
    const current = await this.encoder();
    if (probe.encoder.modelId !== current.modelId) {
      throw new ApiError(
        'encoder-mismatch',
        `This probe was trained on encoder "${probe.encoder.modelId}", but slides are now embedded with "${current.modelId}": switch the encoder to "${probe.encoder.modelId}" or train a new probe`,
        409,
      );
    }
    try {
      checkEncoder(probe, current.modelId, current.checksum);
    } catch (err) {
      if (err instanceof ProbeFileError)
        throw new ApiError('encoder-mismatch', `This probe cannot be used here: ${err.message}`, 409);
      throw err;
    }
    const totals = new Map<number, { done: number; total: number }>();
    const embeddings = await this.embedder.embed({
      slidePath: s.path,
      modelId: current.modelId,
      mpps: probe.magnifications,
      allTissue,
      onProgress:
        onProgress &&
        ((p) => {
          totals.set(p.mpp, p);
          onProgress(
            [...totals.values()].reduce((a, t) => a + t.done, 0),
            [...totals.values()].reduce((a, t) => a + t.total, 0),
          );
        }),
    });
    return { probe, embeddings, probabilities: applyProbe(probe, embeddings.sets, current.checksum) };
  }

  async heatmap(params: {
    slideId?: unknown;
    probeId?: unknown;
    className?: unknown;
    rect?: unknown;
  }): Promise<HeatmapRaster> {
    const s = this.state(params.slideId);
    const { probe, embeddings, probabilities } = await this.probabilities(s, params.probeId);
    const className =
      params.className === undefined ? defaultClassName(probe.classes.map((c) => c.name)) : String(params.className);
    const info = this.slides.info(s.id);
    const rect = params.rect === undefined || params.rect === null ? undefined : checkRect(params.rect);
    const { probe: provenance, assumptions } = await this.provenance(s, String(params.probeId), probe, embeddings);
    return heatmapRaster(
      probabilities,
      className,
      { id: s.id, width: info.width, height: info.height },
      { probe: provenance, assumptions, tissue: embeddings.tissue },
      rect,
    );
  }

  async exportHeatmap(req: Partial<ExportRequest>): Promise<ExportResult> {
    const s = this.state(req.slideId);
    const format = req.format;
    if (!format || !(format in FORMAT_EXTENSIONS))
      throw new ApiError(
        'invalid-argument',
        `Parameter "format" must be one of ${Object.keys(FORMAT_EXTENSIONS).join(', ')}`,
      );
    const path = checkPath(req.path);
    let pathFormat: string;
    try {
      pathFormat = exportFormatOf(path);
    } catch (err) {
      throw new ApiError('invalid-argument', (err as Error).message);
    }
    if (!FORMAT_EXTENSIONS[format].includes(pathFormat))
      throw new ApiError(
        'invalid-argument',
        `${path} does not end in .${FORMAT_EXTENSIONS[format][0]} (the ${format.toUpperCase()} format)`,
      );
    await checkExportTarget(path); // a device, FIFO or folder there: a 400 before any work
    const overwrite = req.overwrite === true;
    if (
      !overwrite &&
      (await stat(path).then(
        () => true,
        () => false,
      ))
    )
      throw new ApiError('exists', `${path} already exists`, 409);
    const task = `export:${s.id}`;
    const label = `Exporting ${format.toUpperCase()}`;
    this.emit({ type: 'progress', task, label, done: 0, total: 2 });
    try {
      const allTissue = req.scope === 'all-tissue';
      const { probe, embeddings, probabilities } = await this.probabilities(s, req.probeId, allTissue, (done, total) =>
        this.emit({ type: 'progress', task, label: `${label}: embedding tissue`, done, total: total + 1 }),
      );
      if (probabilities.n === 0 && format !== 'html') {
        throw new ApiError(
          'no-embeddings',
          'Nothing of this slide is embedded yet: look around the slide (or export all tissue) first',
          409,
        );
      }
      this.emit({ type: 'progress', task, label: `${label}: writing`, done: 1, total: 2 });
      await exportHeatmap(path, {
        slideName: s.name,
        slide: embeddings.frame,
        probe,
        probabilities,
        className: typeof req.className === 'string' ? req.className : undefined,
        colourMap: checkColourMap(req.colourMap),
        threshold: optionalNumber(req.threshold, 'threshold', 0, 1),
        downsample: optionalNumber(req.downsample, 'downsample', 0.01, 1e6),
        tissue: embeddings.tissue,
        patches: req.patches === true,
        assumptions: (await this.provenance(s, String(req.probeId), probe, embeddings)).assumptions,
        overwrite,
        overlay: req.overlay === true,
        slideImage: (width, height) => this.slides.overview(s.id, width, height),
        regions: format === 'html' ? await this.trainingRegions(s, probe) : undefined,
      });
      return { path, format, bytes: (await stat(path)).size, patches: probabilities.n };
    } catch (err) {
      if (err instanceof FileExistsError) throw new ApiError('exists', `${path} already exists`, 409);
      if (err instanceof ApiError) throw err;
      if (err instanceof ExportTargetError) throw new ApiError('invalid-argument', err.message);
      throw new ApiError('export-failed', `Export failed: ${(err as Error).message}`, 500);
    } finally {
      this.emit({ type: 'progress', task, label, done: 2, total: 2 });
    }
  }

  /** The probe's training regions for its report: named from this slide's annotations where they are here. */
  private async trainingRegions(s: SlideState, probe: ProbeFile): Promise<ReportRegion[]> {
    const doc = await s.annotations.then(
      (a) => a.store.doc,
      () => null,
    );
    const byId = new Map((doc?.annotations ?? []).map((a) => [a.id, a]));
    return probe.training.slides.flatMap((t) =>
      t.annotationIds.map((id) => {
        const a = byId.get(id);
        return { id, name: a?.name?.trim() || null, className: a?.className ?? null, slideName: t.name ?? (a ? s.name : null) };
      }),
    );
  }

  // Find more like this ---------------------------------------------------------------------------

  /** The patches most similar to a query box, point or annotation (see the contract's findSimilar). */
  async findSimilar(params: Record<string, unknown>): Promise<SimilarityResult> {
    const s = this.state(params.slideId);
    await this.encoder();
    return searchSimilar(
      { embeddings: this.embeddings, slides: this.slides, annotation: async (id) => (await s.annotations).store.get(id) },
      { ...params, slideId: s.id },
    );
  }

  /** A region of an open slide as a small JPEG (gallery thumbnails). */
  async regionImage(params: Record<string, unknown>): Promise<RegionImage> {
    const s = this.state(params.slideId);
    return regionImage(this.slides, { ...params, slideId: s.id });
  }

  // Lifecycle ---------------------------------------------------------------------------------------

  private async forgetClosed(open: Set<string>): Promise<void> {
    for (const [id, s] of this.states) {
      if (open.has(id)) continue;
      this.states.delete(id);
      await this.closeState(s).catch(() => {}); // announced by closeState
    }
  }

  private async closeState(s: SlideState): Promise<void> {
    const run = this.runs.get(s.id);
    if (run) {
      run.controller.abort();
      await run.done;
    }
    await s.scheduler?.then(
      (sc) => sc.stop(),
      () => {},
    );
    const annotations = await s.annotations.catch(() => null);
    try {
      await annotations?.store.close();
    } catch (err) {
      const reason = err instanceof AnnotationSaveError ? err.reason : (err as Error).message;
      this.emit({
        type: 'error',
        message: `The annotations of ${s.name} could not be saved when it closed: ${reason}. The edits since the last save are lost.`,
      });
      throw err;
    }
  }

  /**
   * Saves every slide's annotations, stops embedding and closes the encoder. Rejects, after closing
   * everything, when some slide's annotations could not be saved (the message says which and why).
   */
  async close(): Promise<void> {
    this.unsubscribe();
    const states = [...this.states.values()];
    this.states.clear();
    const results = await Promise.allSettled(states.map((s) => this.closeState(s)));
    this.modelImport?.controller.abort();
    await this.modelImport?.done;
    await this.training?.catch(() => {});
    if (!this.options.embeddings) await this.embeddingService?.close();
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [{ state: states[i], err: r.reason as unknown }] : [],
    );
    if (failed.length > 0) {
      const what = failed.map(
        ({ state, err }) =>
          `${state.name}: ${err instanceof AnnotationSaveError ? err.reason : (err as Error).message}`,
      );
      throw new Error(`Annotations could not be saved (${what.join('; ')})`, { cause: failed[0].err });
    }
  }
}

function checkRect(v: unknown): LevelRect {
  const r = v as Partial<LevelRect> | null;
  const ok = (n: unknown) => typeof n === 'number' && Number.isFinite(n);
  if (!r || !ok(r.x) || !ok(r.y) || !ok(r.width) || !ok(r.height) || r.width! <= 0 || r.height! <= 0) {
    throw new ApiError(
      'invalid-argument',
      'A rectangle is {x, y, width, height} in level-0 pixels, with positive size',
    );
  }
  return { x: r.x!, y: r.y!, width: r.width!, height: r.height! };
}

function checkPath(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '')
    throw new ApiError('invalid-argument', 'Parameter "path" must be a non-empty string');
  if (v.includes('\0'))
    throw new ApiError('invalid-argument', `The path ${JSON.stringify(v.replaceAll('\0', '�'))} holds a null byte (\\0, shown as �): no file can have that name`);
  if (!isAbsolute(v.trim())) throw new ApiError('invalid-argument', `Give a full path (got ${JSON.stringify(v)})`);
  return v.trim();
}

function checkStringList(v: unknown, name: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new ApiError('invalid-argument', `Parameter "${name}" must be a list of strings`);
  return v;
}

function checkMpps(v: unknown): number[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'number' && x > 0 && Number.isFinite(x))) {
    throw new ApiError('invalid-argument', 'Parameter "mpps" must be a list of positive µm/px values');
  }
  return v;
}

function checkColourMap(v: unknown): ColourMapName | undefined {
  if (v === undefined) return undefined;
  if (v !== 'viridis' && v !== 'magma' && v !== 'jet')
    throw new ApiError('invalid-argument', 'Parameter "colourMap" must be viridis, magma or jet');
  return v;
}

function optionalNumber(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !(v >= min && v <= max))
    throw new ApiError('invalid-argument', `Parameter "${name}" must be a number from ${min} to ${max}`);
  return v;
}
