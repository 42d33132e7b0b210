// Read → embed → store, overlapped: while the worker runs batch k, patches of batch k+1 are read and resized
// (sharp works on libuv's threads), so the encoder is never waiting for pixels.
import type { EncoderSession } from './encoder-session.js';
import type { PatchReader } from './patch-reader.js';

export interface PatchBatch {
  reader: PatchReader;
  /** [n·2] level-0 top-left corners. */
  coords: Int32Array;
}

export class PatchPipeline {
  constructor(
    private readonly session: EncoderSession,
    /** Batches handed to the worker and not yet finished. */
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
    const inflight: Promise<void>[] = [];
    try {
      for (;;) {
        signal?.throwIfAborted();
        const batch = next();
        if (!batch) break;
        const n = batch.coords.length / 2;
        const size = this.session.model.input.size;
        const pixels = this.session.pixelBuffer(n);
        const reads: Promise<void>[] = [];
        for (let i = 0; i < n; i++) reads.push(batch.reader.read(batch.coords[2 * i], batch.coords[2 * i + 1], pixels, i * size * size * 3));
        await Promise.all(reads);
        while (inflight.length >= this.depth) await inflight.shift();
        signal?.throwIfAborted();
        const p = this.session.embed(pixels, n).then((features) => done(batch, features));
        p.catch(() => {}); // awaited below; avoid an unhandled rejection meanwhile
        inflight.push(p);
      }
      while (inflight.length) await inflight.shift();
    } finally {
      await Promise.allSettled(inflight);
    }
  }
}
