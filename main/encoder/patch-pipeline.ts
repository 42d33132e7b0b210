// Read → embed → store, overlapped. For a slide opened by path (the usual case) the batch's coordinates go to
// the session's preparation worker, which reads, resizes and normalises the patches and hands the tensor to
// the encoder worker: this thread only schedules and stores, and up to `depth + 1` batches are in flight
// (one running, the next prepared meanwhile, one more queued). For a slide known only as an open reader,
// patches are read here (sharp works on libuv's threads) while the worker runs the previous batch.
// Features are stored in order; a batch's slot is freed when its features arrive, not when they are stored.
import type { EncoderSession } from './encoder-session.js';
import type { PatchReader } from './patch-reader.js';

export interface PatchBatch {
  reader: PatchReader;
  /** [n·2] level-0 top-left corners. */
  coords: Int32Array;
  /** The slide's file (or folder), when it has one: the preparation worker opens it itself. */
  slidePath?: string;
}

export class PatchPipeline {
  constructor(
    private readonly session: EncoderSession,
    /** Batches handed to the worker and not yet finished (plus one being read or queued). */
    private readonly depth = 2,
  ) {}

  /**
   * Pulls batches from `next` until it returns undefined (it is asked again only when the pipeline has room,
   * so a caller can reorder or drop work in between), calling `done` with each batch's features in order.
   */
  async run(
    next: () => PatchBatch | undefined,
    done: (batch: PatchBatch, features: Float32Array) => Promise<void> | void,
    signal?: AbortSignal,
  ): Promise<void> {
    const inflight: Promise<Float32Array>[] = [];
    let stored: Promise<void> = Promise.resolve();
    let failure: { err: unknown } | undefined;
    const check = () => {
      if (failure) throw failure.err;
      signal?.throwIfAborted();
    };
    try {
      for (;;) {
        check();
        // Worker preparation: wait for room first, so `next` is asked as late as possible.
        while (inflight.length > this.depth) await inflight.shift();
        check();
        const batch = next();
        if (!batch) break;
        let features: Promise<Float32Array>;
        if (batch.slidePath !== undefined) {
          features = this.session.embedPatches(batch.slidePath, batch.reader.grid, batch.coords);
        } else {
          const n = batch.coords.length / 2;
          const pixels = this.session.pixelBuffer(n);
          await batch.reader.readBatch(batch.coords, pixels);
          while (inflight.length >= this.depth) await inflight.shift();
          check();
          features = this.session.embed(pixels, n);
        }
        features.catch(() => {}); // awaited below; avoid an unhandled rejection meanwhile
        inflight.push(features);
        stored = stored.then(async () => {
          if (failure) return;
          try {
            await done(batch, await features);
          } catch (err) {
            failure ??= { err };
          }
        });
      }
      while (inflight.length) await inflight.shift();
      await stored;
      if (failure) throw failure.err;
    } finally {
      await Promise.allSettled(inflight);
      await stored;
    }
  }
}
