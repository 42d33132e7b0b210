// importCheckpoint, run in a worker thread (checkpoint-import-worker.ts): the app's way to convert a model
// while the viewer keeps answering. Errors come back as the same CheckpointError / ModelError values.
import { startEncoderWorker } from '../worker-start.js';
import { CheckpointError, type CheckpointErrorCode } from './checkpoint-tensors.js';
import { ModelError, type ModelErrorCode } from '../model-errors.js';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { userModelsDir } from '../model-folders.js';
import type { CheckpointImportOptions } from './checkpoint-import.js';
import type { ModelEntry } from '../model-registry.js';

type Reply =
  | { type: 'progress'; progress: Parameters<NonNullable<CheckpointImportOptions['onProgress']>>[0] }
  | { type: 'done'; entry: ModelEntry }
  | { type: 'error'; name: string; code?: string; message: string };

export function importCheckpointInWorker(path: string, options: CheckpointImportOptions = {}, signal?: AbortSignal): Promise<ModelEntry> {
  const { onProgress, ...rest } = options;
  const worker = startEncoderWorker('checkpoint/checkpoint-import-worker', { workerData: { path, options: rest } });
  return new Promise<ModelEntry>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      fn();
      void worker.terminate();
    };
    const onAbort = () =>
      finish(() => {
        // The worker is stopped mid-write: remove its staging folder (the models folder is otherwise untouched).
        void worker.terminate().then(() => removeStaging(options.modelsDir ?? userModelsDir()));
        reject(new ModelError('inference-failed', 'model import cancelled'));
      });
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (m: Reply) => {
      if (m.type === 'progress') onProgress?.(m.progress);
      else if (m.type === 'done') finish(() => resolve(m.entry));
      else {
        const err =
          m.name === 'CheckpointError'
            ? new CheckpointError(m.code as CheckpointErrorCode, m.message)
            : m.name === 'ModelError'
              ? new ModelError(m.code as ModelErrorCode, m.message)
              : new Error(m.message);
        finish(() => reject(err));
      }
    });
    worker.once('error', (err) => finish(() => reject(err)));
    worker.once('exit', (code) => finish(() => reject(new Error(`model import worker exited with code ${code}`))));
  });
}

async function removeStaging(modelsDir: string): Promise<void> {
  const names = await readdir(modelsDir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith('.import-') && n.includes(`-${process.pid}-`)).map((n) => rm(join(modelsDir, n), { recursive: true, force: true })));
}
