// One bounded cache of decoded tiles per open slide (OpenSlide's openslide-cache idea): LRU by bytes,
// and concurrent requests for the same tile share one decode.
import type { RgbaImage } from './codecs/rgba.js';

export const DEFAULT_TILE_CACHE_BYTES = 64 * 1024 * 1024;

export class TileCache {
  private readonly entries = new Map<string, RgbaImage>();
  private readonly pending = new Map<string, Promise<RgbaImage>>();
  private bytes = 0;

  constructor(readonly capacityBytes: number = DEFAULT_TILE_CACHE_BYTES) {}

  get size(): number {
    return this.bytes;
  }

  get(key: string): RgbaImage | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, image: RgbaImage): void {
    const cost = image.data.length;
    if (cost > this.capacityBytes) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.data.length;
      this.entries.delete(key);
    }
    this.entries.set(key, image);
    this.bytes += cost;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.capacityBytes) break;
      this.entries.delete(k);
      this.bytes -= v.data.length;
    }
  }

  /** The cached tile, or the one decode in flight for it, or a new decode via `load`. */
  getOrLoad(key: string, load: () => Promise<RgbaImage>): Promise<RgbaImage> {
    const hit = this.get(key);
    if (hit) return Promise.resolve(hit);
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const p = load().then(
      (img) => {
        this.pending.delete(key);
        this.set(key, img);
        return img;
      },
      (err: unknown) => {
        this.pending.delete(key);
        throw err;
      },
    );
    this.pending.set(key, p);
    return p;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}
