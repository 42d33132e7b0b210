// A least-recently-used map bounded by the total byte size of its values (OpenSlide's one bounded cache
// idea), with single-flight loading: concurrent `getOrLoad`s of one key share one load.
export class ByteLruCache<K, V> {
  private readonly map = new Map<K, { value: V; bytes: number }>();
  private readonly pending = new Map<K, Promise<unknown>>();
  private used = 0;
  private hitCount = 0;

  /**
   * @param onDrop called with each entry the cache lets go of (evicted, replaced or cleared), after it is
   *   gone: an owner that recycles values' memory learns when no cache lookup can hand them out again.
   */
  constructor(
    private maxBytes: number,
    private readonly sizeOf: (value: V) => number,
    private readonly onDrop?: (key: K, value: V) => void,
  ) {}

  /** Bytes held (sum of `sizeOf` over the entries). */
  get bytes(): number {
    return this.used;
  }

  /** Number of entries. */
  get size(): number {
    return this.map.size;
  }

  get capacity(): number {
    return this.maxBytes;
  }

  /** `getOrLoad` calls answered from the cache, since construction (`clear` does not reset it). */
  get hits(): number {
    return this.hitCount;
  }

  /** The cached value, marked most recently used. */
  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    // Re-insert to mark as most recently used (Map keeps insertion order).
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }

  /** Stores `value` (a value larger than the whole cache is not kept), evicting least recently used ones. */
  set(key: K, value: V): void {
    const bytes = this.sizeOf(value);
    const old = this.map.get(key);
    if (old) {
      this.used -= old.bytes;
      this.map.delete(key);
      if (old.value !== value) this.onDrop?.(key, old.value);
    }
    if (bytes > this.maxBytes) return this.onDrop?.(key, value);
    this.map.set(key, { value, bytes });
    this.used += bytes;
    this.evict();
  }

  /**
   * The cached value, or the load already in flight for `key`, or a new `load()`. Its result is cached when
   * `keep` says so (default: always); failures are not cached, the next call loads again.
   */
  getOrLoad<T = never>(
    key: K,
    load: () => Promise<V | T>,
    keep: (result: V | T) => result is V = (_r): _r is V => true,
  ): Promise<V | T> {
    const hit = this.get(key);
    if (hit !== undefined) {
      this.hitCount++;
      return Promise.resolve(hit);
    }
    const inFlight = this.pending.get(key) as Promise<V | T> | undefined;
    if (inFlight) return inFlight;
    const p = load().then(
      (result) => {
        this.pending.delete(key);
        if (keep(result)) this.set(key, result);
        return result;
      },
      (err: unknown) => {
        this.pending.delete(key);
        throw err;
      },
    );
    this.pending.set(key, p);
    return p;
  }

  resize(maxBytes: number): void {
    this.maxBytes = maxBytes;
    this.evict();
  }

  /** Drops every entry (loads in flight still complete and are cached). */
  clear(): void {
    const dropped = this.onDrop ? [...this.map] : [];
    this.map.clear();
    this.used = 0;
    for (const [key, entry] of dropped) this.onDrop!(key, entry.value);
  }

  private evict(): void {
    for (const [key, entry] of this.map) {
      if (this.used <= this.maxBytes) break;
      this.map.delete(key);
      this.used -= entry.bytes;
      this.onDrop?.(key, entry.value);
    }
  }
}
