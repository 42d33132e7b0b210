// One loaded model in a worker thread: embed(RGB patches) → features. Reports which execution provider runs
// it and any fallback (the `notices` field and the 'notice' event). Loading a model that fails leaves the
// session's current model in place.
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { ModelError } from './model-errors.js';
import type { ModelManifest } from './model-manifest.js';
import { candidateProviders, type ProviderName } from './execution-providers.js';
import type { EncoderReply, EncoderRequest } from './encoder-messages.js';

export interface LoadedModel {
  manifest: ModelManifest;
  onnxPath: string;
}

export interface EncoderSessionOptions {
  /** Execution providers to try in order (default: best available, then cpu). */
  providers?: ProviderName[];
  /** onnxruntime intra-op threads (default: all cores). */
  threads?: number;
}

/**
 * Starts the worker script: the compiled .js in production; under tsx (dev, tests) the .ts source, loaded
 * through tsx's API because Node 20 resolves a worker's entry before `execArgv: ['--import', 'tsx']` applies.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./encoder-worker.js', import.meta.url));
  const entry = new URL('./encoder-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true });
}

export class EncoderSession extends EventEmitter {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: EncoderReply) => void; reject: (e: Error) => void }>();
  private spare: ArrayBuffer[] = [];
  private current: LoadedModel | undefined;
  private currentProvider: ProviderName | undefined;
  /** Human-readable fallbacks from the last load ("webgpu unavailable …; falling back"). */
  notices: string[] = [];
  private dead: Error | undefined;

  private constructor(private readonly options: EncoderSessionOptions) {
    super();
    this.worker = startWorker();
    this.worker.on('message', (msg: EncoderReply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.type === 'error') p.reject(new ModelError(msg.code, msg.message));
      else p.resolve(msg);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`encoder worker exited (code ${code})`)));
  }

  /** Starts a worker and loads `model` (throws a ModelError when the model is broken). */
  static async open(model: LoadedModel, options: EncoderSessionOptions = {}): Promise<EncoderSession> {
    const s = new EncoderSession(options);
    try {
      await s.load(model);
    } catch (err) {
      await s.close();
      throw err;
    }
    return s;
  }

  get model(): ModelManifest {
    if (!this.current) throw new ModelError('not-found', 'no model loaded');
    return this.current.manifest;
  }

  /** The execution provider running the model: 'cpu', 'cuda', 'webgpu', … */
  get provider(): ProviderName {
    return this.currentProvider ?? 'cpu';
  }

  /** Replaces the model; on failure (ModelError) the previous model stays loaded. */
  async load(model: LoadedModel): Promise<void> {
    const reply = await this.request({
      type: 'load',
      id: 0,
      onnxPath: model.onnxPath,
      manifest: model.manifest,
      providers: candidateProviders(this.options.providers),
      threads: this.options.threads ?? availableParallelism(),
    });
    if (reply.type !== 'loaded') throw new Error('unexpected reply');
    this.current = model;
    this.currentProvider = reply.provider;
    this.notices = reply.notices;
    for (const n of reply.notices) this.emit('notice', n);
  }

  /** A reusable buffer for `count` patches of RGB (size×size×3 bytes each); pass it to embed(). */
  pixelBuffer(count: number): Uint8Array {
    const bytes = count * this.model.input.size ** 2 * 3;
    const i = this.spare.findIndex((b) => b.byteLength >= bytes);
    const buf = i >= 0 ? this.spare.splice(i, 1)[0] : new ArrayBuffer(bytes);
    return new Uint8Array(buf, 0, bytes);
  }

  /**
   * Embeds `count` patches of interleaved RGB (size×size×3 bytes each, patch after patch). The buffer is
   * transferred to the worker: do not use `pixels` afterwards. Returns [count × dim] features.
   */
  async embed(pixels: Uint8Array, count: number): Promise<Float32Array> {
    const size = this.model.input.size;
    if (pixels.length < count * size * size * 3) throw new Error(`embed: ${pixels.length} bytes for ${count} patches`);
    let buf = pixels.buffer as ArrayBuffer;
    if (pixels.byteOffset !== 0 || buf.byteLength > pixels.byteLength * 2) buf = pixels.slice().buffer as ArrayBuffer;
    const reply = await this.request({ type: 'embed', id: 0, pixels: buf, count }, [buf]);
    if (reply.type !== 'embedded') throw new Error('unexpected reply');
    if (this.spare.length < 4) this.spare.push(reply.pixels);
    return new Float32Array(reply.features);
  }

  async close(): Promise<void> {
    if (!this.dead) {
      await this.request({ type: 'close', id: 0 }).catch(() => {});
      await this.worker.terminate();
    }
    this.fail(new Error('encoder session closed'));
  }

  private request(req: EncoderRequest, transfer: ArrayBuffer[] = []): Promise<EncoderReply> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    req.id = id;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(req, transfer);
    });
  }

  private fail(err: Error): void {
    this.dead ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
