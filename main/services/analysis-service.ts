// The analysis services behind the contract: annotations per open slide, viewport-driven embedding, probe
// training on the slide's annotations, heatmaps, exports and search. A facade over parts that share one
// core (`analysis-core.ts`: per-slide state, the EmbeddingService, probes, encoder, locks, event bus):
// `analysis-encoder.ts` (models), `analysis-embedding.ts` (viewport and whole-slide embedding, pixel size),
// `analysis-training.ts` (probes), `analysis-probe-results.ts` + `analysis-heatmap.ts` (heatmaps),
// `analysis-exports.ts`, `analysis-search.ts`. The work itself is the use cases in `main/usecases/`, which
// the CLI runs too; this layer holds state, events and locks.
import { AnnotationSaveError } from '../annotations/annotation-store.js';
import { join } from 'node:path';
import type {
  ActiveProbe,
  CheckpointPreview,
  EncoderStatus,
  ExportRequest,
  ExportResult,
  HeatmapRaster,
  LabelSuggestions,
  ModelList,
  ModelManifestDraft,
  ModelSummary,
  ProbeSummary,
  RegionImage,
  SimilarityResult,
  TissueRunResult,
} from '../contracts/analysis.js';
import { defaultClassName } from '../export/export-heatmap.js';
import { AnalysisCore, type AnalysisServiceOptions, type SlideState } from './analysis-core.js';
import type { SlideAnnotations } from './analysis-annotations.js';
import { AnalysisEmbedding } from './analysis-embedding.js';
import { AnalysisEncoder } from './analysis-encoder.js';
import { AnalysisExports } from './analysis-exports.js';
import { heatmapRaster } from './analysis-heatmap.js';
import { LiveHeatmaps } from './live-heatmaps.js';
import { checkRect } from './analysis-params.js';
import { probeProvenance, probeResult, type ProbeResult } from './analysis-probe-results.js';
import { regionImage, searchSimilar } from './analysis-search.js';
import { AnalysisTraining } from './analysis-training.js';
import { LabelSuggester } from './analysis-suggestions.js';

export type { AnalysisServiceOptions } from './analysis-core.js';

export class AnalysisService {
  private readonly core: AnalysisCore;
  private readonly models: AnalysisEncoder;
  private readonly embedding: AnalysisEmbedding;
  private readonly training: AnalysisTraining;
  private readonly exports: AnalysisExports;
  private readonly suggester: LabelSuggester;
  private readonly live: LiveHeatmaps;
  private readonly unsubscribe: () => void;

  constructor(private readonly options: AnalysisServiceOptions) {
    this.core = new AnalysisCore(options);
    this.models = new AnalysisEncoder(this.core);
    this.embedding = new AnalysisEmbedding(this.core);
    this.training = new AnalysisTraining(this.core);
    this.exports = new AnalysisExports(this.core);
    this.live = new LiveHeatmaps(this.core);
    this.core.embedded = (slideId, batch) => this.live.embedded(slideId, batch);
    this.suggester = new LabelSuggester({
      activeProbe: (id) => this.core.state(id).probeId,
      probabilities: async (id, probeId) => (await probeResult(this.core, this.core.state(id), probeId)).probabilities,
      annotations: async (id) => (await this.core.state(id).annotations).store.doc.annotations,
    });
    this.unsubscribe = this.core.events.on((e) => {
      if (e.type === 'slides-changed') void this.forgetClosed(new Set(e.slides.map((s) => s.id)));
    });
  }

  /** Where exports go unless the user picks elsewhere: `<data dir>/exports` (made on first export). */
  get exportsFolder(): string {
    return join(this.core.dataDir, 'exports');
  }

  annotations(slideId: unknown): Promise<SlideAnnotations> {
    return this.core.state(slideId).annotations;
  }

  // Encoder and models --------------------------------------------------------------------------------
  encoderStatus = (): Promise<EncoderStatus> => this.models.status();
  listModels = (): Promise<ModelList> => this.models.listModels();
  proposeModelManifest = (path: unknown): Promise<ModelManifestDraft> => this.models.proposeModelManifest(path);
  inspectModelCheckpoint = (params: { path?: unknown; preset?: unknown; weights?: unknown }): Promise<CheckpointPreview> => this.models.inspectModelCheckpoint(params);
  importModel = (params: { path?: unknown; manifest?: unknown; replace?: unknown; preset?: unknown; weights?: unknown }): Promise<ModelSummary> => this.models.importModel(params);
  selectModel = (id: unknown): Promise<EncoderStatus> => this.models.selectModel(id);

  // Embedding -------------------------------------------------------------------------------------------
  setViewport = (slideId: unknown, rect: unknown, mpps?: unknown): Promise<void> => this.embedding.setViewport(slideId, rect, mpps);
  setPixelSize = <T>(slideId: string, apply: () => Promise<T & { scale: { mpp: number; source: string } }>): Promise<T> => this.embedding.setPixelSize(slideId, apply);
  embedAllTissue = (params: { slideId?: unknown; probeId?: unknown; mpps?: unknown }): Promise<TissueRunResult> => this.embedding.embedAllTissue(params);
  cancelEmbedAllTissue = (slideId: unknown): Promise<boolean> => this.embedding.cancelEmbedAllTissue(slideId);

  // Probes ----------------------------------------------------------------------------------------------
  trainProbe = (params: { slideId?: unknown; classes?: unknown; mpps?: unknown; name?: unknown }): Promise<ProbeSummary> => this.training.trainProbe(params);
  listProbes = (): Promise<ProbeSummary[]> => this.training.listProbes();
  loadProbe = (path: unknown): Promise<ProbeSummary> => this.training.loadProbe(path);
  getActiveProbe = (slideId: unknown): ActiveProbe => this.training.getActiveProbe(slideId);
  setActiveProbe = (params: { slideId?: unknown; probeId?: unknown }): Promise<ActiveProbe> => this.training.setActiveProbe(params);

  // Heatmaps and exports --------------------------------------------------------------------------------

  /** The probe's probabilities on what the cache holds of this slide (or, `allTissue`, on all its tissue). */
  private probabilities(s: SlideState, probeId: unknown, allTissue = false, onProgress?: (done: number, total: number) => void): Promise<ProbeResult> {
    return probeResult(this.core, s, probeId, allTissue, onProgress);
  }

  async heatmap(params: { slideId?: unknown; probeId?: unknown; className?: unknown; rect?: unknown }): Promise<HeatmapRaster> {
    const s = this.core.state(params.slideId);
    const result = await this.probabilities(s, params.probeId);
    const { probe, embeddings, probabilities } = result;
    const className = params.className === undefined ? defaultClassName(probe.classes.map((c) => c.name)) : String(params.className);
    const info = this.core.slides.info(s.id);
    const rect = params.rect === undefined || params.rect === null ? undefined : checkRect(params.rect);
    const { probe: provenance, assumptions } = probeProvenance(this.core, String(params.probeId), result);
    return heatmapRaster(probabilities, className, { id: s.id, width: info.width, height: info.height }, { probe: provenance, assumptions, tissue: embeddings.tissue }, rect);
  }

  /** The live heatmap's binary update since a version (`live-heatmaps.ts`). */
  heatmapUpdate = (params: { slideId?: unknown; probeId?: unknown; since?: unknown }): Promise<Uint8Array> => this.live.update(params);

  exportHeatmap = (req: Partial<ExportRequest>): Promise<ExportResult> => this.exports.exportHeatmap(req);

  // Find more like this -----------------------------------------------------------------------------------

  /** The patches most similar to a query box, point or annotation (see the contract's findSimilar). */
  async findSimilar(params: Record<string, unknown>): Promise<SimilarityResult> {
    const s = this.core.state(params.slideId);
    await this.core.encoder();
    return searchSimilar(
      { embeddings: this.core.embeddings, slides: this.core.slides, annotation: async (id) => (await s.annotations).store.get(id) },
      { ...params, slideId: s.id },
    );
  }

  /** Where the slide's probe is least sure, spread over the slide (see the contract's suggestLabels). */
  suggestLabels = (params: Record<string, unknown>): Promise<LabelSuggestions> => this.suggester.suggest(this.core.state(params.slideId).id, params);
  dismissSuggestion = (params: Record<string, unknown>): { dismissed: number } => this.suggester.dismiss(this.core.state(params.slideId).id, params);

  /** A region of an open slide as a small JPEG (gallery thumbnails). */
  async regionImage(params: Record<string, unknown>): Promise<RegionImage> {
    const s = this.core.state(params.slideId);
    return regionImage(this.core.slides, { ...params, slideId: s.id });
  }

  // Lifecycle -----------------------------------------------------------------------------------------------

  private async forgetClosed(open: Set<string>): Promise<void> {
    for (const [id, s] of this.core.states) {
      if (open.has(id)) continue;
      this.core.states.delete(id);
      this.suggester.forget(id);
      await this.closeState(s).catch(() => {}); // announced by closeState
    }
  }

  private async closeState(s: SlideState): Promise<void> {
    const run = this.core.locks.runs.get(s.id);
    if (run) {
      run.controller.abort();
      await run.done;
    }
    await this.core.stopScheduler(s);
    const annotations = await s.annotations.catch(() => null);
    try {
      await annotations?.store.close();
    } catch (err) {
      const reason = err instanceof AnnotationSaveError ? err.reason : (err as Error).message;
      this.core.emit({
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
    this.core.closed = true;
    this.unsubscribe();
    const states = [...this.core.states.values()];
    this.core.states.clear();
    const results = await Promise.allSettled(states.map((s) => this.closeState(s)));
    const locks = this.core.locks;
    locks.modelImport?.controller.abort();
    await locks.modelImport?.done;
    await locks.training?.catch(() => {});
    if (!this.options.embeddings) await this.core.embeddingsIfMade?.close();
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ state: states[i], err: r.reason as unknown }] : []));
    if (failed.length > 0) {
      const what = failed.map(({ state, err }) => `${state.name}: ${err instanceof AnnotationSaveError ? err.reason : (err as Error).message}`);
      throw new Error(`Annotations could not be saved (${what.join('; ')})`, { cause: failed[0].err });
    }
  }
}
