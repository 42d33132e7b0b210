// The encoder models: the list, switching the encoder, and importing one (a checkpoint conversion reports
// its progress, which the Models section shows once the dialog is closed).
import type {
  CheckpointPreview,
  CheckpointWeights,
  EncoderStatus,
  ModelImportProgress,
  ModelList,
  ModelManifestDraft,
  ModelSummary,
} from '../../../main/contracts/tessera-api';
import { client } from '../lib/api';
import { app, messageOf } from '../lib/app-state.svelte';

/** A model import running in the services: a checkpoint conversion reports its progress. */
export interface ModelImportState {
  path: string;
  name: string;
  /** Null for an ONNX import (no progress events). */
  progress: ModelImportProgress | null;
  /** The dialog was closed: the Models section shows the progress, and failures are notified. */
  background: boolean;
}

export interface ModelStateDeps {
  /** Starts listening to service events (the import's progress comes as events). */
  listen(): void;
  /** The encoder switched to. */
  setEncoder(status: EncoderStatus): void;
}

export class ModelState {
  models = $state.raw<ModelList | null>(null);
  /** Id of the model being switched to. */
  switchingTo = $state<string | null>(null);
  modelImport = $state<ModelImportState | null>(null);

  constructor(private readonly deps: ModelStateDeps) {}

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
    this.deps.listen();
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
      this.deps.setEncoder(await client.api.selectModel({ id }));
      await this.loadModels();
      return true;
    } catch (err) {
      app.notify('error', messageOf(err));
      return false;
    } finally {
      this.switchingTo = null;
    }
  }
}
