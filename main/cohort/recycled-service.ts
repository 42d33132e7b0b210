// One EmbeddingService (one encoder session) for many slides, replaced by a fresh one every few slides or
// patches: the service keeps each slide it saw open, with its cache stores, so a cohort of thousands of
// slides must not go through a single one. After a failed slide it is replaced too.
import { EmbeddingService, type EmbeddingServiceOptions } from '../encoder/embedding-service.js';

export class RecycledService {
  private current: EmbeddingService | undefined;
  private slides = 0;
  private patches = 0;

  constructor(
    private readonly options: EmbeddingServiceOptions | undefined,
    private readonly maxSlides = 8,
    private readonly maxPatches = 50_000,
  ) {}

  get(): EmbeddingService {
    this.current ??= new EmbeddingService(this.options);
    return this.current;
  }

  /** After a slide: `ok` false (it failed) replaces the service. */
  async after(patches: number, ok: boolean): Promise<void> {
    this.slides++;
    this.patches += patches;
    if (!ok || this.slides >= this.maxSlides || this.patches >= this.maxPatches) await this.close();
  }

  async close(): Promise<void> {
    const s = this.current;
    this.current = undefined;
    this.slides = 0;
    this.patches = 0;
    await s?.close();
  }
}
