// Worker thread that runs one checkpoint import (checkpoint-import.ts), so converting gigabytes of weights —
// transposes, precision changes, NaN checks — never blocks the app's event loop. Posts progress, then the
// result or the error (with its class and code, rebuilt on the other side by importCheckpointInWorker).
import { parentPort, workerData } from 'node:worker_threads';
import { importCheckpoint, type CheckpointImportOptions } from './checkpoint-import.js';

const { path, options } = workerData as { path: string; options: Omit<CheckpointImportOptions, 'onProgress'> };
const port = parentPort!;
importCheckpoint(path, { ...options, onProgress: (progress) => port.postMessage({ type: 'progress', progress }) }).then(
  (entry) => port.postMessage({ type: 'done', entry }),
  (err: Error & { code?: string }) => port.postMessage({ type: 'error', name: err.name, code: err.code, message: err.message }),
);
