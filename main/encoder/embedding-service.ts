// The one facade the app and the CLI use for embeddings: models (list, switch), and embeddings of a slide's
// region, viewport or whole tissue at the model's magnifications, from the on-disk cache plus what is missing.
import { EventEmitter } from 'node:events';
import type { EmbeddingSet, PatchGrid } from '../contracts/embeddings.js';
import { openSlide } from '../slide/open-slide.js';
import { slideFingerprint } from '../slide/slide-fingerprint.js';
import { loadUserMpp } from '../slide/slide-pixel-size.js';
import type { SlideReader } from '../slide/slide-reader.js';
import { EncoderSession, type EncoderSessionOptions } from './encoder-session.js';
import { EmbeddingStore } from './embedding-store.js';
import { embeddingCacheDir, userModelsDir } from './model-folders.js';
import type { ModelManifest } from './model-manifest.js';
import { ModelError } from './model-errors.js';
import { findModel, listModels, type ModelEntry, type ModelFolders, type ModelListing } from './model-registry.js';
import { cellsInRect, checkGrid, onGrid, patchGrid, patchOrigin, slideScale, sortCentreFirst, type Rect, type SlideScale } from './patch-grid.js';
import { PatchPipeline } from './patch-pipeline.js';
import { PatchReader } from './patch-reader.js';
import { detectTissue, type TissueMask } from './tissue-mask.js';

/** A slide by path (opened and fingerprinted here), or already open with its content fingerprint. */
export type SlideInput = string | { reader: SlideReader; fingerprint: string };

export interface EmbedProgress {
  mpp: number;
  /** Patches of this request finished so far (from cache or computed), and in all. */
  done: number;
  total: number;
  /** How many of `done` came from the cache. */
  cached: number;
}

export interface EmbedOptions {
  /** Magnifications (µm/px); default: every one the model supports. */
  mpps?: number[];
  /** Level-0 rectangle; default: the whole slide. Only tissue patches are embedded either way. */
  region?: Rect;
  /** Several level-0 rectangles (patches overlapping any of them, once each); instead of `region`. */
  regions?: readonly Rect[];
  /** Embed background patches too (default false). */
  includeBackground?: boolean;
  /**
   * Patch px (at each grid's mpp) between neighbouring patch origins; default the patch size (no overlap).
   * The cache is keyed by patch pixels (origin, size), so an overlapping grid reuses every patch of the
   * non-overlapping one, and each request gets back only the patches of its own grid.
   */
  stride?: number;
  signal?: AbortSignal;
  onProgress?: (p: EmbedProgress) => void;
  /** Each batch once stored (its patch corners, level-0): live heatmaps score just these. */
  onBatch?: (b: { mpp: number; coords: Int32Array }) => void;
}

export interface EmbeddingServiceOptions {
  folders?: ModelFolders;
  cacheDir?: string;
  session?: EncoderSessionOptions;
  batchSize?: number;
  /**
   * Read and normalise patches in the encoder session's preparation worker, off this thread (default true;
   * false reads them here, as before — for comparison, or where worker threads cannot open the slide).
   */
  prepareInWorker?: boolean;
  /**
   * Level-0 µm/px for every slide this service opens (`--mpp-override`), before any the user stored for the
   * slide and the file's own; not stored.
   */
  mppOverride?: number;
  /** Where the pixel sizes users set per slide are read (`slide/slide-pixel-size.ts`); default the Tessera data folder; null: none are read. */
  dataDir?: string | null;
  /**
   * The reader another service already holds for a slide path (the app's SlideService), so a slide opened
   * for viewing is not opened again here: its one handle (decoded-tile cache) serves tiles and patches alike.
   * Such readers are never closed here. Undefined (or no answer): the slide is opened here.
   */
  openReaders?: (path: string) => OpenReader | undefined;
}

/** A reader lent by the service that opened it, with the slide's fingerprint when already known. */
export interface OpenReader {
  reader: SlideReader;
  fingerprint: string | null;
}

/** What the service keeps per open slide. */
export interface SlideContext {
  reader: SlideReader;
  fingerprint: string;
  scale: SlideScale;
  tissue: Promise<TissueMask>;
  ownsReader: boolean;
  /** The slide's file or folder, when it was opened by path (the preparation worker opens it too). */
  path?: string;
}

export class EmbeddingService extends EventEmitter {
  private session: EncoderSession | undefined;
  private entry: ModelEntry | undefined;
  private loading: Promise<ModelManifest> | undefined;
  private closed = false;
  private readonly slides = new Map<string, SlideContext>();
  private readonly stores = new Map<string, Promise<EmbeddingStore>>();
  /** Pixel sizes set in this session by fingerprint (null: cleared), over what is stored. */
  private readonly userMpps = new Map<string, number | null>();
  readonly cacheDir: string;
  readonly batchSize: number;

  constructor(private readonly options: EmbeddingServiceOptions = {}) {
    super();
    this.cacheDir = options.cacheDir ?? embeddingCacheDir();
    this.batchSize = options.batchSize ?? 32;
  }

  listModels(): Promise<ModelListing> {
    return listModels(this.options.folders);
  }

  /** Where imported models go (the user models folder this service lists). */
  get userModelsDir(): string {
    return this.options.folders?.user ?? userModelsDir();
  }

  /** The loaded model, or undefined before the first useModel()/embed(). */
  get model(): ModelManifest | undefined {
    return this.entry?.manifest;
  }

  /** Execution provider running the model and any fallback notices. */
  get runtime(): { provider: string; notices: string[] } | undefined {
    return this.session ? { provider: this.session.provider, notices: this.session.notices } : undefined;
  }

  /** Loads model `id` (default: the built-in baseline). A ModelError leaves the previous model in use. */
  async useModel(id?: string): Promise<ModelManifest> {
    const previous = this.loading ?? Promise.resolve(undefined);
    const run = previous.catch(() => undefined).then(async () => {
      if (this.closed) throw new ModelError('not-found', 'the embedding service is closed');
      const entry = await findModel(id, this.options.folders);
      if (this.session) await this.session.load(entry);
      else {
        const session = await EncoderSession.open(entry, this.options.session);
        // Closed while the workers started: stop them, or they would keep the process alive.
        if (this.closed) {
          await session.close();
          throw new ModelError('not-found', 'the embedding service is closed');
        }
        this.session = session;
        this.session.on('notice', (n: string) => this.emit('notice', n));
      }
      this.entry = entry;
      this.emit('model', entry.manifest);
      return entry.manifest;
    });
    this.loading = run;
    return run;
  }

  /** The running encoder, loading the default model when none is loaded yet. */
  async encoder(): Promise<{ session: EncoderSession; entry: ModelEntry }> {
    if (this.loading) await this.loading.catch(() => undefined);
    if (!this.session || !this.entry) await this.useModel();
    return { session: this.session!, entry: this.entry! };
  }

  /**
   * Opens (or finds) a slide; its tissue mask is computed once, lazily. A path another service holds open
   * (`openReaders`) is read through that service's reader, not opened again.
   */
  async slide(input: SlideInput): Promise<SlideContext> {
    const lent = typeof input === 'string' ? this.options.openReaders?.(input) : undefined;
    const fingerprint = typeof input === 'string' ? (lent?.fingerprint ?? (await slideFingerprint(input))) : input.fingerprint;
    const known = this.slides.get(fingerprint);
    if (known) return typeof input === 'string' ? this.current(known, input) : known;
    const given = await this.givenMpp(fingerprint);
    const again = this.slides.get(fingerprint);
    if (again) return again;
    const reader = typeof input === 'string' ? (lent?.reader ?? (await openSlide(input))) : input.reader;
    let tissue: Promise<TissueMask> | undefined;
    const ctx: SlideContext = {
      reader,
      fingerprint,
      scale: slideScale(reader, given),
      get tissue() {
        tissue ??= detectTissue(this.reader);
        return tissue;
      },
      ownsReader: typeof input === 'string' && !lent,
      ...(typeof input === 'string' ? { path: input } : {}),
    };
    this.slides.set(fingerprint, ctx);
    return ctx;
  }

  /**
   * A context whose reader was lent may outlive it (the viewer closed the slide, maybe opened it again):
   * it then reads through the reader lent now, or one of its own.
   */
  private async current(ctx: SlideContext, path: string): Promise<SlideContext> {
    if (ctx.ownsReader) return ctx;
    const lent = this.options.openReaders?.(path);
    if (lent?.reader === ctx.reader) return ctx;
    ctx.reader = lent?.reader ?? (await openSlide(path));
    ctx.ownsReader = !lent;
    ctx.path ??= path;
    return ctx;
  }

  /** The run's override, else the pixel size the user set for the slide (this session, else stored), else none. */
  private async givenMpp(fingerprint: string): Promise<{ mpp: number; source: 'user' | 'override' } | null> {
    if (this.options.mppOverride !== undefined) return { mpp: this.options.mppOverride, source: 'override' };
    const set = this.userMpps.has(fingerprint) ? this.userMpps.get(fingerprint)! : this.options.dataDir === null ? null : await loadUserMpp(fingerprint, this.options.dataDir);
    return set === null ? null : { mpp: set, source: 'user' };
  }

  /**
   * The user set (or cleared: null) the slide's pixel size (already stored by the caller): later grids of the
   * slide use it. Stores opened for the old scale are closed, so nothing mixes grids of two scales.
   * Returns the slide's scale now, when the slide is open here.
   */
  async setUserMpp(fingerprint: string, mpp: number | null): Promise<SlideScale | undefined> {
    this.userMpps.set(fingerprint, mpp);
    const ctx = this.slides.get(fingerprint);
    if (!ctx) return undefined;
    ctx.scale = slideScale(ctx.reader, await this.givenMpp(fingerprint));
    for (const [key, store] of [...this.stores]) {
      if (!key.startsWith(`${fingerprint}/`)) continue;
      this.stores.delete(key);
      await (await store.catch(() => undefined))?.close();
    }
    return ctx.scale;
  }

  /** The patch grid of `mpp` (and `stride` px, default no overlap) over the slide, checked before anything is allocated for it (`checkGrid`). */
  grid(ctx: SlideContext, mpp: number, stride?: number): PatchGrid {
    const size = this.entry?.manifest.input.size ?? 224;
    const grid = patchGrid(mpp, ctx.scale, size, stride ?? size);
    const l0 = ctx.reader.levels[0];
    checkGrid(grid, ctx.scale, l0.width, l0.height);
    return grid;
  }

  /** Where the preparation worker can open `ctx` (undefined: read patches on this thread). */
  slidePath(ctx: SlideContext): string | undefined {
    return this.options.prepareInWorker === false ? undefined : ctx.path;
  }

  /** The store of (slide, current model, mpp), opened once. */
  async store(ctx: SlideContext, mpp: number): Promise<EmbeddingStore> {
    const { entry } = await this.encoder();
    const m = entry.manifest;
    const grid = this.grid(ctx, mpp);
    const key = `${ctx.fingerprint}/${m.id}/${m.sha256}/${mpp}/${grid.level0Size}`;
    let s = this.stores.get(key);
    if (!s) {
      s = EmbeddingStore.open(this.cacheDir, {
        slideFingerprint: ctx.fingerprint,
        modelId: m.id,
        modelSha256: m.sha256,
        mpp,
        patchSize: grid.patchSize,
        level0Size: grid.level0Size,
        dim: m.output.dim,
      });
      this.stores.set(key, s);
      s.catch(() => this.stores.delete(key));
    }
    return s;
  }

  /** Tissue patches of `grid` overlapping `rect` (whole slide by default), as [n·2] level-0 corners. */
  async patchesIn(ctx: SlideContext, grid: PatchGrid, rect?: Rect, includeBackground = false): Promise<Int32Array> {
    const l0 = ctx.reader.levels[0];
    const cells = cellsInRect(grid, rect ?? { x: 0, y: 0, width: l0.width, height: l0.height }, l0.width, l0.height);
    const mask = includeBackground ? undefined : await ctx.tissue;
    const out: number[] = [];
    for (const [i, j] of cells) {
      const [x, y] = patchOrigin(grid, i, j);
      if (!mask || mask.isTissue(x, y, grid.level0Size)) out.push(x, y);
    }
    return Int32Array.from(out);
  }

  /** Tissue patches of `grid` overlapping any of `rects`, each once, as [n·2] level-0 corners. */
  async patchesInAny(ctx: SlideContext, grid: PatchGrid, rects: readonly Rect[], includeBackground = false): Promise<Int32Array> {
    const seen = new Set<string>();
    const out: number[] = [];
    for (const rect of rects) {
      const c = await this.patchesIn(ctx, grid, rect, includeBackground);
      for (let k = 0; k < c.length; k += 2) {
        const key = `${c[k]},${c[k + 1]}`;
        if (!seen.has(key)) {
          seen.add(key);
          out.push(c[k], c[k + 1]);
        }
      }
    }
    return Int32Array.from(out);
  }

  /** Embeddings of the tissue patches in a region (or the whole slide), one set per magnification. */
  async embed(input: SlideInput, options: EmbedOptions = {}): Promise<EmbeddingSet[]> {
    const { session, entry } = await this.encoder();
    const ctx = await this.slide(input);
    const mpps = options.mpps ?? entry.manifest.magnifications;
    for (const mpp of mpps) this.grid(ctx, mpp, options.stride); // every magnification checked before any is embedded
    const sets: EmbeddingSet[] = [];
    for (const mpp of mpps) {
      options.signal?.throwIfAborted();
      const grid = this.grid(ctx, mpp, options.stride);
      const coords = options.regions
        ? await this.patchesInAny(ctx, grid, options.regions, options.includeBackground)
        : await this.patchesIn(ctx, grid, options.region, options.includeBackground);
      if (options.region && !options.regions) sortCentreFirst(coords, options.region, grid.level0Size);
      const store = await this.store(ctx, mpp);
      const missing: number[] = [];
      for (let k = 0; k < coords.length; k += 2) if (!store.has(coords[k], coords[k + 1])) missing.push(coords[k], coords[k + 1]);
      const total = coords.length / 2;
      const cached = total - missing.length / 2;
      let done = cached;
      options.onProgress?.({ mpp, done, total, cached });
      const reader = new PatchReader(ctx.reader, grid);
      let next = 0;
      await new PatchPipeline(session).run(
        () => {
          if (next >= missing.length) return undefined;
          const batch = Int32Array.from(missing.slice(next, next + 2 * this.batchSize));
          next += batch.length;
          return { reader, coords: batch, slidePath: this.slidePath(ctx) };
        },
        async (batch, features) => {
          await store.append(batch.coords, features);
          done += batch.coords.length / 2;
          options.onBatch?.({ mpp, coords: batch.coords });
          options.onProgress?.({ mpp, done, total, cached });
        },
        options.signal,
      );
      const { coords: c, features } = store.gather(coords);
      sets.push({
        slideFingerprint: ctx.fingerprint,
        modelId: entry.manifest.id,
        grid,
        dim: entry.manifest.output.dim,
        coords: c,
        features,
        ...(ctx.scale.assumed ? { slideMppAssumed: true } : {}),
      });
    }
    return sets;
  }

  /**
   * What the cache already holds for a slide and the current model, one set per magnification (default:
   * every one the model supports); embeds nothing. A magnification never embedded gives an empty set.
   * Only the patches of the grid of `stride` (default: the non-overlapping grid) come back.
   */
  async cached(input: SlideInput, options: { mpps?: number[]; stride?: number } = {}): Promise<EmbeddingSet[]> {
    const { entry } = await this.encoder();
    const ctx = await this.slide(input);
    const sets: EmbeddingSet[] = [];
    for (const mpp of options.mpps ?? entry.manifest.magnifications) {
      const grid = this.grid(ctx, mpp, options.stride);
      const store = await this.store(ctx, mpp);
      const all = store.all().coords;
      const mine: number[] = [];
      for (let k = 0; k < all.length; k += 2) if (onGrid(grid, all[k], all[k + 1])) mine.push(all[k], all[k + 1]);
      const { coords, features } = mine.length === all.length ? store.all() : store.gather(mine);
      sets.push({
        slideFingerprint: ctx.fingerprint,
        modelId: entry.manifest.id,
        grid,
        dim: entry.manifest.output.dim,
        coords,
        features,
        ...(ctx.scale.assumed ? { slideMppAssumed: true } : {}),
      });
    }
    return sets;
  }

  /** Closes the encoder, the caches and any slide this service opened. */
  async close(): Promise<void> {
    this.closed = true;
    await this.loading?.catch(() => undefined); // a model still loading has its workers closed there
    await this.session?.close();
    this.session = undefined;
    for (const s of this.stores.values()) await (await s.catch(() => undefined))?.close();
    this.stores.clear();
    for (const ctx of this.slides.values()) if (ctx.ownsReader) await ctx.reader.close().catch(() => {});
    this.slides.clear();
  }
}
