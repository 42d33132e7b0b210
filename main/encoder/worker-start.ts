// Starts one of this folder's worker scripts: the compiled .js in production; under tsx (dev, tests) the .ts
// source, loaded through tsx's API because Node 20 resolves a worker's entry before
// `execArgv: ['--import', 'tsx']` applies.
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startEncoderWorker(name: 'encoder-worker' | 'patch-prep-worker' | 'checkpoint/checkpoint-import-worker', options: WorkerOptions = {}): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, import.meta.url), options);
  const entry = new URL(`./${name}.ts`, import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
