// Runs fitProbe in a worker thread so training never blocks the UI's or the CLI's event loop.
import { Worker } from 'node:worker_threads';
import type { FitInput, FitOptions, FittedProbe } from './fit-probe.js';

export function fitProbeInWorker(input: FitInput, options: FitOptions = {}): Promise<FittedProbe> {
  // Under tsx (dev, tests) this module is .ts and so is the worker. Node 20 does not apply `--import tsx`
  // from execArgv to a worker's entry module, so a one-line bootstrap registers tsx, then imports it.
  const isTs = import.meta.url.endsWith('.ts');
  const url = new URL(`./fit-probe-worker.${isTs ? 'ts' : 'js'}`, import.meta.url);
  const worker = isTs
    ? new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); })`, { eval: true, workerData: { input, options } })
    : new Worker(url, { workerData: { input, options } });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { ok: true; fitted: FittedProbe } | { ok: false; message: string }) => {
      if (m.ok) resolve(m.fitted);
      else reject(new Error(m.message));
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`probe training worker exited with code ${code}`));
    });
  });
}
