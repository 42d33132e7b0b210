// Keeps the embeddings of what the user is looking at coming: given a viewport (level-0 rectangle), queues the
// visible tissue patches missing from the cache at every magnification, nearest the centre first, and feeds
// them to the encoder in batches. A new viewport replaces the queue (work no longer visible is dropped;
// batches already in the encoder finish and are kept). Plain class with events, no transport:
//   'progress' {done, total}     visible patches embedded so far / in all (all magnifications)
//   'embedded' {mpp, coords, features}   one finished batch
//   'idle'                        the queue ran dry
//   'error' (err)
import { EventEmitter } from 'node:events';
import type { PatchGrid } from '../contracts/embeddings.js';
import type { EmbeddingService, SlideContext } from './embedding-service.js';
import type { EmbeddingStore } from './embedding-store.js';
import { PatchPipeline, type PatchBatch } from './patch-pipeline.js';
import { PatchReader } from './patch-reader.js';
import type { Rect } from './patch-grid.js';

interface Layer {
  mpp: number;
  grid: PatchGrid;
  reader: PatchReader;
  store: EmbeddingStore;
}

interface QueuedPatch {
  layer: Layer;
  x: number;
  y: number;
}

export interface SchedulerProgress {
  done: number;
  total: number;
}

export class EmbeddingScheduler extends EventEmitter {
  private queue: QueuedPatch[] = [];
  private readonly inflight = new Set<string>();
  private layers: Layer[] | undefined;
  private visible: { layer: Layer; coords: Int32Array }[] = [];
  private running: Promise<void> | undefined;
  private abort = new AbortController();
  private generation = 0;

  constructor(
    private readonly service: EmbeddingService,
    private readonly slide: SlideContext,
    /** `stride`: patch px between patch origins (default the patch size); the app embeds its heatmap grid. */
    private readonly options: { mpps?: number[]; batchSize?: number; stride?: number } = {},
  ) {
    super();
  }

  /** Replaces the work queue with the tissue patches visible in `viewport` (level-0 px), at `mpps` only
   *  when given (those of the scheduler's magnifications; default all). */
  async setViewport(viewport: Rect, mpps?: readonly number[]): Promise<void> {
    const generation = ++this.generation;
    const layers = (await this.ensureLayers()).filter((l) => !mpps || mpps.includes(l.mpp));
    const visible: { layer: Layer; coords: Int32Array }[] = [];
    for (const layer of layers) visible.push({ layer, coords: await this.service.patchesIn(this.slide, layer.grid, viewport) });
    if (generation !== this.generation) return; // a newer viewport arrived meanwhile
    const cx = viewport.x + viewport.width / 2;
    const cy = viewport.y + viewport.height / 2;
    const queue: (QueuedPatch & { d: number })[] = [];
    for (const { layer, coords } of visible) {
      const half = layer.grid.level0Size / 2;
      for (let k = 0; k < coords.length; k += 2) {
        const x = coords[k];
        const y = coords[k + 1];
        if (layer.store.has(x, y) || this.inflight.has(key(layer.mpp, x, y))) continue;
        queue.push({ layer, x, y, d: (x + half - cx) ** 2 + (y + half - cy) ** 2 });
      }
    }
    queue.sort((a, b) => a.d - b.d);
    this.visible = visible;
    this.queue = queue;
    this.emitProgress();
    if (queue.length > 0) this.start();
    else if (!this.running) this.emit('idle');
  }

  /** Visible patches embedded so far, over all magnifications. */
  progress(): SchedulerProgress {
    let done = 0;
    let total = 0;
    for (const { layer, coords } of this.visible) {
      total += coords.length / 2;
      for (let k = 0; k < coords.length; k += 2) if (layer.store.has(coords[k], coords[k + 1])) done++;
    }
    return { done, total };
  }

  /** Resolves when the current queue has been embedded (or the scheduler stopped). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Drops all queued work; batches already in the encoder finish. */
  async stop(): Promise<void> {
    this.queue = [];
    this.abort.abort();
    await this.idle();
    this.abort = new AbortController();
  }

  private async ensureLayers(): Promise<Layer[]> {
    if (this.layers) return this.layers;
    const { entry } = await this.service.encoder();
    const mpps = this.options.mpps ?? entry.manifest.magnifications;
    const layers: Layer[] = [];
    for (const mpp of mpps) {
      const grid = this.service.grid(this.slide, mpp, this.options.stride);
      layers.push({ mpp, grid, reader: new PatchReader(this.slide.reader, grid), store: await this.service.store(this.slide, mpp) });
    }
    this.layers = layers;
    return layers;
  }

  private start(): void {
    if (this.running) return;
    this.running = this.loop().then((ok) => {
      this.running = undefined;
      // A failed run drops its queue (the error went out; the next viewport queues again): restarting at
      // once would spin, e.g. on an encoder that can no longer load because the service closed.
      if (!ok) this.queue = [];
      if (this.queue.length > 0 && !this.abort.signal.aborted) this.start();
      else this.emit('idle');
    });
  }

  /** Embeds the queue; false when it failed (reported as 'error' unless stopped). */
  private async loop(): Promise<boolean> {
    const layerOf = new Map<PatchBatch, Layer>();
    try {
      const { session } = await this.service.encoder();
      const batchSize = this.options.batchSize ?? this.service.batchSize;
      await new PatchPipeline(session).run(
        () => {
          // One batch = the queue's head and the next patches of the same magnification.
          const head = this.queue[0];
          if (!head) return undefined;
          const picked: QueuedPatch[] = [];
          const rest: QueuedPatch[] = [];
          for (const q of this.queue) (picked.length < batchSize && q.layer === head.layer ? picked : rest).push(q);
          this.queue = rest;
          const coords = new Int32Array(picked.length * 2);
          picked.forEach((q, i) => {
            coords[2 * i] = q.x;
            coords[2 * i + 1] = q.y;
            this.inflight.add(key(q.layer.mpp, q.x, q.y));
          });
          const batch: PatchBatch = { reader: head.layer.reader, coords, slidePath: this.service.slidePath(this.slide) };
          layerOf.set(batch, head.layer);
          return batch;
        },
        async (batch, features) => {
          const layer = layerOf.get(batch)!;
          layerOf.delete(batch);
          await layer.store.append(batch.coords, features);
          for (let k = 0; k < batch.coords.length; k += 2) this.inflight.delete(key(layer.mpp, batch.coords[k], batch.coords[k + 1]));
          this.emit('embedded', { mpp: layer.mpp, coords: batch.coords, features });
          this.emitProgress();
        },
        this.abort.signal,
      );
      return true;
    } catch (err) {
      if (!this.abort.signal.aborted && this.listenerCount('error') > 0) this.emit('error', err);
      return false;
    } finally {
      this.inflight.clear();
    }
  }

  private emitProgress(): void {
    this.emit('progress', this.progress());
  }
}

function key(mpp: number, x: number, y: number): string {
  return `${mpp}:${x},${y}`;
}
