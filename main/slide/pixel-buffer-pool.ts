// Buffers handed out again instead of allocated anew: those a tile render fills and lets go of when its
// encode is done (the region cut from stored tiles, its halving), the decoded tiles a slide handle's cache
// dropped (slide-handle.ts), and JPEG encode destinations (codecs/libjpeg-turbo.ts). Each tile would otherwise allocate
// 0.2–1 MB outside the JS heap, and V8 answers that "external memory pressure" with a full mark-compact
// every ~64 MB of it. Only buffers the caller owns outright come back here (never a decoded tile that
// a cache still holds or a caller may still read).
export class PixelBufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private idle = 0;

  /** @param capacityBytes the most bytes kept idle (buffers beyond it are left to the GC). */
  constructor(private readonly capacityBytes = 16 * 1024 * 1024) {}

  /** A buffer of exactly `bytes` bytes, contents undefined. */
  take(bytes: number): Buffer {
    return this.takeIdle(bytes) ?? Buffer.allocUnsafeSlow(bytes);
  }

  /** An idle buffer of exactly `bytes` bytes, or undefined when none is (the caller allocates as it likes). */
  takeIdle(bytes: number): Buffer | undefined {
    const buffer = this.free.get(bytes)?.pop();
    if (buffer) this.idle -= bytes;
    return buffer;
  }

  /** Hands `buffer` back; the caller must not touch it again. */
  give(buffer: Buffer): void {
    if (this.idle + buffer.length > this.capacityBytes) return;
    let list = this.free.get(buffer.length);
    if (!list) this.free.set(buffer.length, (list = []));
    list.push(buffer);
    this.idle += buffer.length;
  }

  /** Bytes held idle. */
  get idleBytes(): number {
    return this.idle;
  }
}
