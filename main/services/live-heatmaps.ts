// The heatmaps the viewer shows, kept live: per (slide, probe) a probability raster of every class, built once
// from the embedding cache and then updated from each batch the viewport embedding or a whole-slide run
// stores (only that batch's patches are scored), answered as binary updates: the cells changed since the
// version the renderer holds, or a snapshot when it holds none or is too far behind.
//
// What the raster rests on is checked on every request: the encoder and pixel size (the stores and grids),
// and each store's size against what the raster has seen, since training and searches add to the stores
// without batch events; any difference rebuilds it from the cache (a full recompute), and the renderer still
// gets only the cells that changed.
import type { HeatmapProvenance } from '../contracts/analysis.js';
import type { SlideContext } from '../encoder/embedding-service.js';
import type { EmbeddingStore } from '../encoder/embedding-store.js';
import { BatchScorer, type FeatureLookup } from '../heatmap/batch-scorer.js';
import { LiveRaster, type LiveGrid } from '../heatmap/live-raster.js';
import { encodeLiveUpdate } from '../heatmap/live-update.js';
import type { AnalysisCore } from './analysis-core.js';
import { tissueMaskBytes } from './analysis-heatmap.js';
import { checkSlideId } from './analysis-params.js';
import { probeProvenance, probeResult } from './analysis-probe-results.js';
import { ApiError } from './api-error.js';

/** (slide, probe) rasters kept; the least recently asked goes first. */
const MAX_LIVE = 4;

/** One stored batch, as the embedding scheduler emits it. */
export interface EmbeddedBatch {
  mpp: number;
  coords: Int32Array;
}

interface Live {
  slideId: string;
  probeId: string;
  /** The embedding service's context of the slide (kept: asking again would re-fingerprint the file). */
  ctx: SlideContext;
  raster: LiveRaster;
  scorer: BatchScorer;
  /** The stores read, by magnification, and how many records of each the raster has seen. */
  stores: Map<number, EmbeddingStore>;
  seen: Map<number, number>;
  /** Encoder, weights, pixel size and stride the raster was built on. */
  basis: string;
  provenance: HeatmapProvenance;
  assumptions: string[];
  tissue: ReturnType<typeof tissueMaskBytes> | null;
}

interface Slot {
  /** Serialises builds, batches and answers of one (slide, probe). */
  queue: Promise<unknown>;
  live: Live | null;
}

export class LiveHeatmaps {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly core: AnalysisCore) {
    // A closed slide's rasters go (their memory is a few bytes per cell and class).
    core.events.on((e) => {
      if (e.type !== 'slides-changed') return;
      const open = new Set(e.slides.map((x) => x.id));
      for (const key of [...this.slots.keys()]) if (!open.has(key.slice(0, key.indexOf('\0')))) this.slots.delete(key);
    });
  }

  /** A batch was stored for `slideId`: every live raster of that slide scores what it makes scorable. */
  embedded(slideId: string, batch: EmbeddedBatch): void {
    for (const [key, slot] of this.slots) {
      // Also while the raster is being built: queued behind the build, the batch is scored once it is there.
      if (!key.startsWith(`${slideId}\0`)) continue;
      this.enqueue(slot, async () => {
        const live = slot.live;
        const store = live?.stores.get(batch.mpp);
        if (!live || !store) return;
        const scored = live.scorer.score(batch.mpp, batch.coords);
        live.raster.set(scored.coords, scored.probabilities);
        // The batch's patches are new to the store (the scheduler queues only those); anything else stored
        // meanwhile (a similarity query's region, say) still shows as growth, and the next answer rebuilds.
        live.seen.set(batch.mpp, Math.min(store.size, (live.seen.get(batch.mpp) ?? 0) + batch.coords.length / 2));
      });
    }
  }

  /** The binary update of (slide, probe) since version `since` (a snapshot without one). */
  async update(params: { slideId?: unknown; probeId?: unknown; since?: unknown }): Promise<Uint8Array> {
    const slideId = checkSlideId(params.slideId);
    if (typeof params.probeId !== 'string' || params.probeId === '') throw new ApiError('invalid-argument', 'Parameter "probeId" must be a non-empty string');
    const since = params.since;
    if (since !== undefined && since !== null && (typeof since !== 'number' || !Number.isInteger(since) || since < 0))
      throw new ApiError('invalid-argument', 'Parameter "since" must be a version (a whole number ≥ 0)');
    this.core.state(slideId); // not-found for a slide that is not open
    const key = `${slideId}\0${params.probeId}`;
    let slot = this.slots.get(key);
    if (slot) this.slots.delete(key);
    else slot = { queue: Promise.resolve(), live: null };
    this.slots.set(key, slot); // most recent last
    while (this.slots.size > MAX_LIVE) this.slots.delete(this.slots.keys().next().value!);
    const probeId = params.probeId;
    const s = slot;
    return this.enqueue(s, async () => {
      if (!s.live || (await this.stale(s.live))) s.live = await this.build(slideId, probeId, s.live);
      return this.encode(s.live, typeof since === 'number' ? since : null);
    });
  }

  private enqueue<T>(slot: Slot, fn: () => Promise<T>): Promise<T> {
    const run = slot.queue.then(fn);
    slot.queue = run.catch(() => {});
    return run;
  }

  private basis(ctx: SlideContext): string {
    const m = this.core.embeddings.model;
    return `${m?.id}|${m?.sha256}|${this.core.stride}|${ctx.scale.mpp}`;
  }

  private async stale(live: Live): Promise<boolean> {
    if (this.basis(live.ctx) !== live.basis) return true;
    for (const [mpp, store] of live.stores) {
      const now = await this.core.embeddings.store(live.ctx, mpp);
      if (now !== store || now.size !== live.seen.get(mpp)) return true;
    }
    return false;
  }

  /**
   * The full recompute from the cache. Over the same grid and classes it replaces the previous raster's
   * values, so the renderer still gets only the cells that changed; otherwise it is a new base (a snapshot).
   */
  private async build(slideId: string, probeId: string, previous: Live | null): Promise<Live> {
    const s = this.core.state(slideId);
    const embeddings = this.core.embeddings;
    // Stores and their sizes first: a record stored during the build is scored again by its batch, or seen as new.
    const { probe } = await this.core.probes.get(probeId);
    const current = await this.core.encoder();
    // Another encoder's probe: the full path refuses it with its own message, before any store is opened.
    if (probe.encoder.modelId !== current.modelId) await probeResult(this.core, s, probeId);
    const ctx = await embeddings.slide(s.path);
    const stores = new Map<number, EmbeddingStore>();
    const seen = new Map<number, number>();
    const lookups: FeatureLookup[] = [];
    for (const mpp of probe.magnifications) {
      const store = await embeddings.store(ctx, mpp);
      stores.set(mpp, store);
      seen.set(mpp, store.size);
      lookups.push({ mpp, grid: embeddings.grid(ctx, mpp, this.core.stride), dim: store.dim, get: (x, y) => store.get(x, y) });
    }
    const result = await probeResult(this.core, s, probeId);
    const basis = this.basis(ctx); // after probeResult, which loads the encoder
    const p = result.probabilities;
    const info = this.core.slides.info(slideId);
    const t = p.level0Stride ?? p.level0Size;
    const offset = (p.level0Size - t) / 2;
    const grid = {
      cols: Math.max(0, Math.ceil((info.width - offset) / t)),
      rows: Math.max(0, Math.ceil((info.height - offset) / t)),
      cellSize: t,
      cellOffset: offset,
      patchSize: p.level0Size,
      mpp: p.mpp,
    };
    const old = previous?.raster;
    const reuse = previous !== null && previous.basis === basis && old !== undefined && sameGrid(old.grid, grid) && old.classNames.join('\0') === p.classNames.join('\0');
    const raster = reuse ? old : new LiveRaster(grid, p.classNames);
    if (reuse) raster.replace(p.coords, p.probabilities);
    else {
      raster.set(p.coords, p.probabilities);
      raster.rebase();
    }
    const { probe: provenance, assumptions } = probeProvenance(this.core, probeId, result);
    const tissueMask = result.embeddings.tissue;
    const bounds = { x: offset, y: offset, width: grid.cols * t, height: grid.rows * t };
    const tissue = reuse ? previous.tissue : tissueMask && grid.cols > 0 && grid.rows > 0 ? tissueMaskBytes(tissueMask, bounds, t) : null;
    return {
      slideId,
      probeId,
      ctx,
      raster,
      scorer: new BatchScorer(probe, lookups),
      stores,
      seen,
      basis,
      provenance,
      assumptions,
      tissue,
    };
  }

  private encode(live: Live, since: number | null): Uint8Array {
    return encodeLiveUpdate(live.raster, { slideId: live.slideId, probeId: live.probeId, probe: live.provenance, assumptions: live.assumptions, tissue: live.tissue }, since);
  }
}

function sameGrid(a: LiveGrid, b: LiveGrid): boolean {
  return a.cols === b.cols && a.rows === b.rows && a.cellSize === b.cellSize && a.cellOffset === b.cellOffset && a.patchSize === b.patchSize && a.mpp === b.mpp;
}
