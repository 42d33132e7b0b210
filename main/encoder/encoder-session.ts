// One loaded model in a worker thread: embed(RGB patches) → features. Reports which execution provider runs
// it and any fallback (the `notices` field and the 'notice' event). Loading a model that fails leaves the
// session's current model in place.
import { EventEmitter } from 'node:events';
import { MessageChannel, type Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { PatchGrid } from '../contracts/embeddings.js';
import { SlideError } from '../slide/slide-errors.js';
import { ModelError } from './model-errors.js';
import type { ModelManifest } from './model-manifest.js';
import { candidateProviders, type ProviderName } from './execution-providers.js';
import type { EncoderReply, EncoderRequest, PrepControl } from './encoder-messages.js';
import { startEncoderWorker } from './worker-start.js';

export interface LoadedModel {
  manifest: ModelManifest;
  onnxPath: string;
}

export interface EncoderSessionOptions {
  /** Execution providers to try in order (default: best available, then cpu). */
  providers?: ProviderName[];
  /** onnxruntime intra-op threads (default: all cores; one less for the built-in baseline). */
  threads?: number;
  /**
   * Largest batch given to onnxruntime in one run (a request's batch is split); 0 = no limit. Default: 8 for
   * the built-in baseline (a small graph: ~25% less CPU per patch at 8 than at 32, its tensors stay in
   * cache), no limit for imported models.
   */
  maxRunBatch?: number;
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
  /** The patch preparation worker (started by the first embedPatches()). */
  private prep: Worker | undefined;
  private closing = false;

  private constructor(private readonly options: EncoderSessionOptions) {
    super();
    this.worker = startEncoderWorker('encoder-worker');
    this.worker.on('message', (msg: EncoderReply) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.type === 'error') p.reject(msg.slideCode ? new SlideError(msg.slideCode, msg.message) : new ModelError(msg.code, msg.message));
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
      // The built-in baseline is cheap enough that preparing its patches takes as long as running it: it
      // gets one core less, for the preparation worker and the main thread (measured: faster and less
      // CPU per patch than all cores on 2 cores); imported models (inference-bound) get every core.
      threads: this.options.threads ?? (model.manifest.baseline ? Math.max(1, availableParallelism() - 1) : availableParallelism()),
      maxRunBatch: this.options.maxRunBatch ?? (model.manifest.baseline ? 8 : 0),
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
    if (reply.pixels && this.spare.length < 4) this.spare.push(reply.pixels);
    return new Float32Array(reply.features);
  }

  /**
   * Embeds the patches of `grid` at level-0 corners `coords` ([n·2]) of the slide file at `slidePath`: read,
   * resized and normalised by the preparation worker (which opens the slide itself), then run by the encoder
   * worker; this thread sees only the coordinates and the [n × dim] features. A slide that cannot be read
   * rejects with its SlideError.
   */
  async embedPatches(slidePath: string, grid: PatchGrid, coords: Int32Array): Promise<Float32Array> {
    if (this.dead) throw this.dead;
    const input = this.model.input;
    if (grid.patchSize !== input.size) throw new Error(`embedPatches: ${grid.patchSize}-px patches for a ${input.size}-px model`);
    const prep = this.prepWorker();
    const id = this.nextId++;
    const reply = await new Promise<EncoderReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const msg: PrepControl = { type: 'prep', id, slide: slidePath, grid, coords, input };
      prep.postMessage(msg);
    });
    if (reply.type !== 'embedded') throw new Error('unexpected reply');
    return new Float32Array(reply.features);
  }

  /** Lets the preparation worker close its reader of `slidePath` (it reopens it when asked again). */
  forgetSlide(slidePath: string): void {
    this.prep?.postMessage({ type: 'forget', slide: slidePath } satisfies PrepControl);
  }

  private prepWorker(): Worker {
    if (this.prep) return this.prep;
    const { port1, port2 } = new MessageChannel();
    const prep = startEncoderWorker('patch-prep-worker', { workerData: { port: port2 }, transferList: [port2] });
    prep.on('error', (err) => this.fail(err));
    prep.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`patch preparation worker exited (code ${code})`));
    });
    this.worker.postMessage({ type: 'prep-port', id: 0, port: port1 } satisfies EncoderRequest, [port1]);
    this.prep = prep;
    return prep;
  }

  async close(): Promise<void> {
    this.closing = true;
    const prep = this.prep;
    if (prep) {
      const closed = new Promise<void>((resolve) => {
        prep.on('message', (m: { type?: string }) => m?.type === 'closed' && resolve());
        prep.once('exit', () => resolve());
        setTimeout(resolve, 2000).unref();
      });
      prep.postMessage({ type: 'close' } satisfies PrepControl);
      await closed;
      await prep.terminate();
    }
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
