// A least-recently-used map bounded by the total byte size of its values (OpenSlide's one bounded cache idea).
export class ByteLruCache<K, V> {
  private readonly map = new Map<K, { value: V; bytes: number }>();
  private used = 0;

  constructor(
    private maxBytes: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.map.size;
  }

  get capacity(): number {
    return this.maxBytes;
  }

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V): void {
    const bytes = this.sizeOf(value);
    const old = this.map.get(key);
    if (old) {
      this.used -= old.bytes;
      this.map.delete(key);
    }
    if (bytes > this.maxBytes) return;
    this.map.set(key, { value, bytes });
    this.used += bytes;
    this.evict();
  }

  resize(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.evict();
  }

  clear(): void {
    this.map.clear();
    this.used = 0;
  }

  private evict(): void {
    for (const [key, entry] of this.map) {
      if (this.used <= this.maxBytes) break;
      this.map.delete(key);
      this.used -= entry.bytes;
    }
  }
}
