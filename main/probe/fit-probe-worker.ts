// Worker entry: fits a probe off the main thread (see fit-probe-in-worker.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { fitProbe, type FitInput, type FitOptions } from './fit-probe.js';

const { input, options } = workerData as { input: FitInput; options: FitOptions };
try {
  const fitted = fitProbe(input, options);
  parentPort!.postMessage({ ok: true, fitted }, [fitted.model.weights.buffer, fitted.model.bias.buffer] as ArrayBuffer[]);
} catch (err) {
  parentPort!.postMessage({ ok: false, message: (err as Error).message });
}
