// A small pool of worker threads for JPEG 2000 decoding: OpenJPEG (WASM) takes ~20 ms a tile and would
// otherwise block the event loop (UI, tile server). min(2, cores) workers, started on first use, each
// with its own WASM instance created once; jobs queue when all are busy. Idle workers are unref'd so the
// pool never keeps a process alive; a busy one is ref'd so a pending decode is never abandoned.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SlideError } from '../slide-errors.js';
import type { RgbaImage } from './rgba.js';
import type { Jp2kJob, Jp2kReply } from './jp2k-worker.js';

interface Job {
  id: number;
  codestream: Uint8Array;
  ycbcr: boolean;
  resolve(image: RgbaImage): void;
  reject(err: SlideError): void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  instantiations: number;
}

/**
 * Under tsx (dev, tests) this module is .ts and so is the worker. Node 20 does not apply
 * `execArgv: ['--import', 'tsx']` to a worker's modules (measured on 20.20: "Unknown file extension .ts",
 * also for an eval'd import()), so a one-line bootstrap registers tsx through its API, then imports the
 * worker. Compiled (production), the worker is the .js beside this file.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./jp2k-worker.js', import.meta.url));
  const entry = new URL('./jp2k-worker.ts', import.meta.url).href;
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true });
}

export class Jp2kPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;

  constructor(readonly size = Math.max(1, Math.min(2, availableParallelism()))) {}

  decode(codestream: Buffer, ycbcr: boolean): Promise<RgbaImage> {
    return new Promise<RgbaImage>((resolve, reject) => {
      // A copy of exactly the codestream, so its memory can be transferred (the caller's buffer may be
      // a slice of Node's shared pool or of a larger read).
      this.queue.push({ id: this.nextId++, codestream: new Uint8Array(codestream), ycbcr, resolve, reject });
      this.dispatch();
    });
  }

  /** Workers started, and how many times each has instantiated the WASM module. */
  stats(): { workers: number; instantiations: number[]; queued: number } {
    return { workers: this.slots.length, instantiations: this.slots.map((s) => s.instantiations), queued: this.queue.length };
  }

  /** Stops every worker; queued and running decodes fail. The pool starts fresh workers if used again. */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    for (const job of this.queue.splice(0)) job.reject(new SlideError('io', 'The JPEG 2000 decoder pool was closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.job === null);
      if (!slot) {
        if (this.slots.length >= this.size) return;
        slot = this.spawn();
      }
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      const message: Jp2kJob = { id: job.id, codestream: job.codestream, ycbcr: job.ycbcr };
      slot.worker.postMessage(message, [job.codestream.buffer as ArrayBuffer]);
    }
  }

  private spawn(): Slot {
    const slot: Slot = { worker: startWorker(), job: null, instantiations: 0 };
    const fail = (why: string): void => {
      const index = this.slots.indexOf(slot);
      if (index < 0) return;
      this.slots.splice(index, 1);
      slot.job?.reject(new SlideError('corrupt', `A JPEG 2000 tile could not be decoded: the decoder worker ${why}`));
      slot.job = null;
      void slot.worker.terminate();
      this.dispatch();
    };
    slot.worker.on('message', (reply: Jp2kReply) => {
      const job = slot.job;
      slot.job = null;
      slot.instantiations = reply.instantiations;
      slot.worker.unref();
      if (job && job.id === reply.id) {
        if (reply.ok) job.resolve({ data: Buffer.from(reply.pixels.buffer, reply.pixels.byteOffset, reply.pixels.byteLength), width: reply.width, height: reply.height, channels: 4 });
        else job.reject(new SlideError(reply.code, reply.message));
      }
      this.dispatch();
    });
    slot.worker.on('error', (err) => fail(`failed: ${err.message}`));
    slot.worker.on('exit', (code) => fail(`exited (code ${code})`));
    slot.worker.unref();
    this.slots.push(slot);
    return slot;
  }
}

let shared: Jp2kPool | null = null;

/** The process-wide pool every JPEG 2000 decode goes through. */
export function jp2kPool(): Jp2kPool {
  shared ??= new Jp2kPool();
  return shared;
}
