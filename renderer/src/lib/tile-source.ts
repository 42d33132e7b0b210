// OpenSeadragon's extension point for our slides: a TileSource over the Deep Zoom layout the services
// publish (`<id>_files/<level>/<col>_<row>.jpeg`), built from the SlideInfo we already have (no .dzi
// round trip). Tiles are fetched with AbortController so stale ones can be cancelled, and an error
// response is a failed job (nothing drawn, the coarser level stays), never a broken image.
import OpenSeadragon from 'openseadragon';
import type { SlideInfo } from '../../../main/contracts/tessera-api';
import { slideUrls } from '../../../main/contracts/tessera-api';

const CANCELLED = 'tessera: cancelled (no longer needed)';

interface SharedFetch {
  promise: Promise<Blob>;
  controller: AbortController;
  users: number;
}

/** Recently fetched tiles kept as blobs, so the navigator (a second viewer with its own cache) reuses them. */
const RECENT_TILES = 128;

export class TesseraTileSource extends OpenSeadragon.TileSource {
  readonly slideId: string;
  private readonly base: string;
  private readonly format: string;
  /** Jobs waiting on a request. */
  readonly inFlight = new Set<OpenSeadragon.ImageJob>();
  /** One network request per URL, however many viewers (main, navigator) ask for it at once. */
  private readonly fetches = new Map<string, SharedFetch>();
  private readonly recent = new Map<string, Blob>();

  constructor(slide: SlideInfo, slidesBase: string) {
    const dz = slide.deepZoom;
    super({
      width: dz.width,
      height: dz.height,
      tileSize: dz.tileSize,
      tileOverlap: dz.overlap,
      minLevel: 0,
      maxLevel: dz.levelCount - 1,
    } as OpenSeadragon.TileSourceOptions);
    this.slideId = slide.id;
    this.base = slidesBase;
    this.format = dz.format;
  }

  override getTileUrl(level: number, x: number, y: number): string {
    return this.base + slideUrls.tile(this.slideId, level, x, y, this.format);
  }

  override downloadTileStart(job: OpenSeadragon.ImageJob): void {
    const url = job.src;
    const cached = this.recent.get(url);
    if (cached) {
      this.recent.delete(url);
      this.recent.set(url, cached);
      queueMicrotask(() => job.finish(cached, null, 'rasterBlob'));
      return;
    }
    let shared = this.fetches.get(url);
    if (!shared) {
      const controller = new AbortController();
      const promise = fetch(url, { signal: controller.signal, credentials: 'same-origin' }).then(async (res) => {
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${(await res.text().catch(() => '')).slice(0, 200)}`);
        const blob = await res.blob();
        if (blob.size === 0) throw new Error('Empty tile');
        return blob;
      });
      const entry: SharedFetch = { promise, controller, users: 0 };
      shared = entry;
      this.fetches.set(url, entry);
      promise.then(
        (blob) => {
          this.recent.set(url, blob);
          if (this.recent.size > RECENT_TILES) this.recent.delete(this.recent.keys().next().value!);
        },
        () => {},
      ).finally(() => {
        if (this.fetches.get(url) === entry) this.fetches.delete(url);
      });
    }
    shared.users++;
    job.userData.shared = shared;
    this.inFlight.add(job);
    const controller = shared.controller;
    shared.promise
      .then(
        (blob) => {
          if (!job.userData.aborted) job.finish(blob, null, 'rasterBlob');
        },
        (err: unknown) => {
          if (!job.userData.aborted) job.fail(controller.signal.aborted ? CANCELLED : String((err as Error)?.message ?? err), null);
        },
      )
      .finally(() => this.inFlight.delete(job));
  }

  override downloadTileAbort(job: OpenSeadragon.ImageJob): void {
    job.userData.aborted = true;
    const shared = job.userData.shared as SharedFetch | undefined;
    if (shared && --shared.users === 0) {
      shared.controller.abort();
      for (const [url, entry] of this.fetches) if (entry === shared) this.fetches.delete(url);
    }
  }
}

export function isCancellation(message: string | undefined): boolean {
  return message === CANCELLED || message === 'Image load aborted.';
}

/**
 * Drops tile requests the current target view no longer needs: queued jobs outside the (slightly
 * grown) target bounds or finer than the target zoom needs, and in-flight ones that are far off.
 * OpenSeadragon requests them again, once, if the view comes back.
 */
export function cancelStaleTiles(viewer: OpenSeadragon.Viewer, source: TesseraTileSource): number {
  const item = viewer.world.getItemAt(0);
  if (!item || item.source !== source) return 0;
  const target = viewer.viewport.getBounds(false);
  const grow = 0.25;
  const keep = new OpenSeadragon.Rect(
    target.x - target.width * grow,
    target.y - target.height * grow,
    target.width * (1 + 2 * grow),
    target.height * (1 + 2 * grow),
  );
  // Screen pixels per level-0 pixel at the target zoom; level L holds 2^(L-max) level-0 pixels per pixel.
  const imageZoom = item.viewportToImageZoom(viewer.viewport.getZoom(false)) * (window.devicePixelRatio || 1);
  const neededLevel = source.maxLevel + Math.ceil(Math.log2(Math.max(imageZoom, 1e-9)));
  const stale = (tile: OpenSeadragon.Tile, slack: number): boolean => {
    if (tile.level > neededLevel + slack) return true;
    const b = source.getTileBounds(tile.level, tile.x, tile.y);
    const r = item.imageToViewportRectangle(b.x * item.source.dimensions.x, b.y * item.source.dimensions.x, b.width * item.source.dimensions.x, b.height * item.source.dimensions.x);
    return !intersects(r, keep);
  };
  let cancelled = 0;
  const loader = viewer.imageLoader;
  loader.jobQueue = loader.jobQueue.filter((job) => {
    const j = job as OpenSeadragon.ImageJob;
    if (j.source !== source || !j.tile || !stale(j.tile, 1)) return true;
    (j as unknown as { abort?: () => void }).abort?.();
    cancelled++;
    return false;
  });
  for (const job of [...source.inFlight]) {
    if (job.tile && stale(job.tile, 2)) {
      const tile = job.tile;
      job.abort();
      // OpenSeadragon marks a failed tile as missing for good; a cancelled one may be needed later.
      queueMicrotask(() => {
        tile.exists = true;
        tile.loading = false;
      });
      cancelled++;
    }
  }
  return cancelled;
}

function intersects(a: OpenSeadragon.Rect, b: OpenSeadragon.Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}
