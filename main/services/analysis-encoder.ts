// The encoder part of the analysis services: which model embeds (remembered across sessions), its status,
// the model list, manifest proposals, checkpoint previews, imports (converted in a worker, with progress
// events) and switching models (every slide's viewport embedding stops and restarts on the new caches).
import type { CheckpointPreview, EncoderStatus, ModelImportProgress, ModelList, ModelManifestDraft, ModelSummary } from '../contracts/analysis.js';
import type { AnalysisCore } from './analysis-core.js';
import { checkCheckpointChoice, importModelFile, inspectModelCheckpoint, listModelSummaries, modelApiError, proposeModelDraft, saveEncoderChoice } from './analysis-models.js';
import { checkPath } from './analysis-params.js';
import { ApiError } from './api-error.js';

export class AnalysisEncoder {
  constructor(private readonly core: AnalysisCore) {
    core.statusOf = () => this.status();
  }

  async status(): Promise<EncoderStatus> {
    await this.core.encoder();
    const m = this.core.embeddings.model!;
    const runtime = this.core.embeddings.runtime;
    return {
      modelId: m.id,
      name: m.name,
      description: m.description ?? '',
      provider: runtime?.provider ?? null,
      notices: [...this.core.modelNotices, ...(runtime?.notices ?? [])],
      baseline: m.baseline === true,
      magnifications: m.magnifications,
    };
  }

  async listModels(): Promise<ModelList> {
    const { modelId } = await this.core.encoder();
    return listModelSummaries(this.core.embeddings, modelId);
  }

  async proposeModelManifest(path: unknown): Promise<ModelManifestDraft> {
    return proposeModelDraft(checkPath(path));
  }

  async inspectModelCheckpoint(params: { path?: unknown; preset?: unknown; weights?: unknown }): Promise<CheckpointPreview> {
    return inspectModelCheckpoint(checkPath(params.path), checkCheckpointChoice(params));
  }

  /**
   * Imports an ONNX model, or converts a timm checkpoint in a worker (the viewer keeps serving meanwhile),
   * sending `model-import-progress` events. One import at a time.
   */
  async importModel(params: { path?: unknown; manifest?: unknown; replace?: unknown; preset?: unknown; weights?: unknown }): Promise<ModelSummary> {
    const path = checkPath(params.path);
    const choice = checkCheckpointChoice(params);
    const locks = this.core.locks;
    locks.check('import-model');
    const controller = new AbortController();
    const slot = { controller, done: Promise.resolve() as Promise<unknown> };
    locks.modelImport = slot;
    try {
      const { modelId } = await this.core.encoder();
      const run = importModelFile(this.core.embeddings, path, params.manifest, {
        ...choice,
        replace: params.replace === true,
        activeId: modelId,
        signal: controller.signal,
        onProgress: this.importProgress(path),
      });
      slot.done = run.catch(() => {});
      return await run;
    } finally {
      locks.modelImport = null;
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
      this.core.emit({ type: 'model-import-progress', path, progress });
    };
  }

  /** Switches the encoder: viewport embedding stops, restarts on the new model's caches; remembered. */
  async selectModel(id: unknown): Promise<EncoderStatus> {
    if (typeof id !== 'string' || id === '') throw new ApiError('invalid-argument', 'Parameter "id" must be a non-empty string');
    const { core } = this;
    core.locks.check('switch-encoder');
    const current = await core.encoder();
    if (current.modelId !== id) {
      const run = (async () => {
        // No batch of the old model may land in the new model's cache: stop every scheduler first.
        const states = [...core.states.values()];
        await Promise.all(states.map((s) => core.stopScheduler(s)));
        try {
          await core.embedder.encoder(id);
        } catch (err) {
          throw modelApiError(err, `Could not switch to "${id}" (still using "${current.modelId}")`);
        } finally {
          // Schedulers hold the old model's grids and stores: made afresh on the next viewport.
          for (const s of states) {
            s.scheduler = undefined;
            s.added = 0;
          }
        }
        core.modelNotices = [];
        await saveEncoderChoice(core.dataDir, id).catch((err: unknown) =>
          core.emit({ type: 'error', message: `Could not remember the encoder choice: ${(err as Error).message}` }),
        );
      })();
      core.locks.switching = run;
      try {
        await run;
      } finally {
        core.locks.switching = null;
        const s = core.inView ? core.states.get(core.inView) : undefined;
        if (s) core.resume(s);
      }
    }
    const status = await this.status();
    core.emit({ type: 'encoder-status', status });
    return status;
  }
}
