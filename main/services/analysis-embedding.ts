// The embedding part of the analysis services: the visible tissue of the slide in view is embedded in the
// background (centre first, at the magnifications the user picked), a whole slide's tissue on request
// (with progress, cancellable), and a slide's grids restart when the user sets its pixel size.
import type { TissueRunResult } from '../contracts/analysis.js';
import { EmbeddingScheduler } from '../encoder/embedding-scheduler.js';
import { recordSlideSource } from '../search/slide-sources.js';
import { slideFingerprint } from '../slide/slide-fingerprint.js';
import { requireProbeEncoder } from '../usecases/probe-compatibility.js';
import type { AnalysisCore, SlideState } from './analysis-core.js';
import { checkMpps, checkRect, checkSlideId } from './analysis-params.js';
import { ApiError } from './api-error.js';
import { apiErrorOfDomain } from './domain-errors.js';

export class AnalysisEmbedding {
  constructor(private readonly core: AnalysisCore) {
    core.resume = (s) => {
      if (s.viewport && core.inView === s.id && core.states.has(s.id)) void this.setViewport(s.id, s.viewport, s.viewportMpps).catch(() => {});
    };
  }

  /**
   * The settled viewport of a slide: its visible tissue is embedded (centre first) in the background, at
   * `mpps` (those of the model's magnifications; default all of them, as the CLI's `--mpp`).
   */
  async setViewport(slideId: unknown, rect: unknown, mpps?: unknown): Promise<void> {
    const { core } = this;
    const s = core.state(slideId);
    s.viewportMpps = mpps !== undefined && mpps !== null ? checkMpps(mpps) : null;
    core.inView = s.id;
    // Only the slide in view embeds.
    for (const other of core.states.values()) if (other !== s) void core.stopScheduler(other);
    if (rect === null || rect === undefined) {
      s.viewport = null;
      await core.stopScheduler(s);
      return;
    }
    const info = core.slides.info(s.id);
    const r = checkRect(rect);
    const x = Math.max(0, r.x);
    const y = Math.max(0, r.y);
    const clamped = { x, y, width: Math.min(info.width, r.x + r.width) - x, height: Math.min(info.height, r.y + r.height) - y };
    if (clamped.width <= 0 || clamped.height <= 0) return;
    s.viewport = clamped;
    if (core.locks.holdsViewport(s.id)) return; // resumed when that ends
    const scheduler = await this.scheduler(s);
    const modelMpps = core.embeddings.model!.magnifications;
    const wanted = s.viewportMpps ? modelMpps.filter((m) => s.viewportMpps!.includes(m)) : modelMpps;
    if (s.viewportMpps && wanted.length === 0)
      throw new ApiError('invalid-argument', `The encoder embeds at ${modelMpps.join(', ')} µm/px: none of ${s.viewportMpps.join(', ')} is among them`);
    void scheduler.setViewport(clamped, wanted).catch((err: unknown) => core.emit({ type: 'error', message: `Embedding failed: ${(err as Error).message}` }));
  }

  private scheduler(s: SlideState): Promise<EmbeddingScheduler> {
    const { core } = this;
    if (!s.scheduler) {
      s.scheduler = (async () => {
        await core.encoder();
        const ctx = await core.embeddings.slide(s.path);
        void recordSlideSource(core.embeddings.cacheDir, ctx.fingerprint, s.path); // names it in whole-cache search
        // The visible tissue on the heatmap's overlapping grid (its non-overlapping patches are among them).
        const scheduler = new EmbeddingScheduler(core.embeddings, ctx, { stride: core.stride });
        scheduler.on('embedded', (b: { mpp: number; coords: Int32Array }) => {
          s.added += b.coords.length / 2;
          core.embedded(s.id, b);
        });
        scheduler.on('progress', (p: { done: number; total: number }) => {
          core.emit({ type: 'embedding-progress', slideId: s.id, done: p.done, total: p.total, added: s.added });
        });
        scheduler.on('error', (err: Error) => core.emit({ type: 'error', message: `Embedding failed: ${err.message}` }));
        return scheduler;
      })();
      s.scheduler.catch(() => (s.scheduler = undefined));
    }
    return s.scheduler;
  }

  /**
   * Sets (or clears) the slide's pixel size through `apply` (the slide service stores it), then restarts the
   * slide's embedding on the new grid: its scheduler is dropped, the embedding service takes the new scale.
   * Refused (busy) while a probe trains or the slide is embedded whole, whose grids would change under them.
   */
  async setPixelSize<T>(slideId: string, apply: () => Promise<T & { scale: { mpp: number; source: string } }>): Promise<T> {
    const { core } = this;
    core.locks.check('set-pixel-size', slideId);
    const info = await apply();
    const s = core.states.get(slideId);
    const scheduler = s?.scheduler;
    if (s) s.scheduler = undefined;
    await scheduler?.then(
      (sc) => sc.stop(),
      () => {},
    );
    const service = core.embeddingsIfMade;
    if (service) {
      const fingerprint = await slideFingerprint(core.slides.info(slideId).path);
      await service.setUserMpp(fingerprint, info.scale.source === 'user' ? info.scale.mpp : null);
    }
    if (s) core.resume(s);
    return info;
  }

  /**
   * Embeds every tissue patch of the slide at `mpps` (default: the probe's magnifications, else the
   * encoder's), with `tissue-run` events; resolves when done or cancelled (cancelEmbedAllTissue, slide closed).
   */
  async embedAllTissue(params: { slideId?: unknown; probeId?: unknown; mpps?: unknown }): Promise<TissueRunResult> {
    const { core } = this;
    const s = core.state(params.slideId);
    core.locks.check('tissue-run', s.id);
    const controller = new AbortController();
    let finished!: () => void;
    core.locks.runs.set(s.id, { controller, done: new Promise<void>((r) => (finished = r)) });
    let mpps: number[] = [];
    const counts: { done: number; total: number }[] = [];
    const sum = (k: 'done' | 'total') => counts.reduce((a, c) => a + c[k], 0);
    const event = (state: 'running' | 'done' | 'cancelled' | 'failed', message?: string) =>
      core.emit({ type: 'tissue-run', slideId: s.id, state, mpps, done: sum('done'), total: sum('total'), ...(message ? { message } : {}) });
    try {
      const encoder = await core.encoder();
      if (params.mpps !== undefined) mpps = checkMpps(params.mpps);
      else if (params.probeId !== undefined && params.probeId !== null) {
        const { probe } = await core.probes.get(params.probeId);
        requireProbeEncoder(probe, encoder);
        mpps = probe.magnifications;
      } else mpps = core.embeddings.model!.magnifications;
      await core.stopScheduler(s);
      const ctx = await core.embeddings.slide(s.path);
      void recordSlideSource(core.embeddings.cacheDir, ctx.fingerprint, s.path);
      // Totals first, so the bar means the same thing from the first patch to the last.
      for (const mpp of mpps) {
        controller.signal.throwIfAborted();
        const coords = await core.embeddings.patchesIn(ctx, core.embeddings.grid(ctx, mpp, core.stride));
        counts.push({ done: 0, total: coords.length / 2 });
      }
      let last = 0; // the first progress (what the cache already holds) goes out at once
      await core.embeddings.embed(ctx, {
        mpps,
        stride: core.stride,
        signal: controller.signal,
        onBatch: (b) => core.embedded(s.id, b), // the live heatmap scores each batch, not the slide
        onProgress: (p) => {
          counts[mpps.indexOf(p.mpp)] = { done: p.done, total: p.total };
          const now = Date.now();
          if (now - last >= 150 || p.done === p.total) {
            last = now;
            event('running');
          }
        },
      });
      event('done');
      return { slideId: s.id, mpps, done: sum('done'), total: sum('total'), cancelled: false };
    } catch (err) {
      if (controller.signal.aborted) {
        event('cancelled');
        return { slideId: s.id, mpps, done: sum('done'), total: sum('total'), cancelled: true };
      }
      const e = apiErrorOfDomain(err) ?? new ApiError('embedding-failed', `Embedding the slide failed: ${(err as Error).message}`, 500);
      event('failed', e.message);
      throw e;
    } finally {
      core.locks.runs.delete(s.id);
      finished();
      core.resume(s);
    }
  }

  /** Stops the slide's whole-slide run; resolves once it has stopped (false when none was running). */
  async cancelEmbedAllTissue(slideId: unknown): Promise<boolean> {
    const run = this.core.locks.runs.get(checkSlideId(slideId));
    if (!run) return false;
    run.controller.abort();
    await run.done;
    return true;
  }
}
