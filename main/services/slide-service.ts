// The slides the user opened in this session: id -> path, SlideReader and Deep Zoom tile service.
// Tile and associated-image requests are answered only for slides registered here, so no request can
// reach a file the user did not open.
import { randomBytes } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import sharp from 'sharp';
import type { RawImage, SlideReader } from '../slide/slide-reader.js';
import { MAX_REGION_PIXELS } from '../slide/region-reader.js';
import { slideOverview } from '../slide/slide-overview.js';
import type { DeepZoomTileService } from '../tiles/index.js';
import type { TileFormat } from '../tiles/index.js';
import type { SlideInfo, SlideSummary, TesseraEvent } from '../contracts/tessera-api.js';
import { assumedMpp, slideUrls } from '../contracts/tessera-api.js';
import { tesseraDataDir } from '../common/data-dir.js';
import { slideFingerprint } from '../slide/slide-fingerprint.js';
import { checkUserMpp, loadUserMpp, saveUserMpp } from '../slide/slide-pixel-size.js';
import { ApiError } from './api-error.js';
import { RecentSlides } from './recent-slides.js';
import { slideFileSize } from './slide-file-size.js';
import { expandHome } from './file-browser.js';
import { EventBus, type EventListener } from './event-bus.js';

/** Where slides, tiles and the sample come from; the default wires the slide engine, tests pass fakes. */
export interface SlideBackend {
  openSlide(path: string): Promise<SlideReader>;
  createTileService(reader: SlideReader): Pick<DeepZoomTileService, 'getTile' | 'dzi' | 'tileSize' | 'overlap' | 'levelCount' | 'levelDimensions'>;
  /** Path of the built-in sample slide, generated on first use. */
  ensureSampleSlide(): Promise<string>;
}

type TileService = ReturnType<SlideBackend['createTileService']>;

interface OpenSlide {
  id: string;
  path: string;
  fileSize: number;
  reader: SlideReader;
  tiles: TileService;
  info: SlideInfo;
  associated: Map<string, Promise<Buffer>>;
  /** Content fingerprint (what user data is keyed by), computed at open; null when it could not be. */
  fingerprint: string | null;
}

export interface SlideServiceOptions {
  /** Where per-slide user data (the pixel size the user set) is kept; default the Tessera data folder, read at each use. */
  dataDir?: string;
  /** Where its events go (the composition root's bus); default a bus of its own. */
  events?: EventBus;
}

export type SlideEventListener = EventListener;

export class SlideService {
  private readonly slides = new Map<string, OpenSlide>();
  private readonly opening = new Map<string, Promise<OpenSlide>>();
  /** The event channel it publishes on (shared with the other services when composed). */
  readonly events: EventBus;

  constructor(
    private readonly backend: SlideBackend,
    readonly recent: RecentSlides = new RecentSlides(null),
    private readonly options: SlideServiceOptions = {},
  ) {
    this.events = options.events ?? new EventBus();
  }

  private get dataDir(): string {
    return this.options.dataDir ?? tesseraDataDir();
  }

  /**
   * Sets (or clears, null) the slide's level-0 pixel size, stored atomically per slide content; returns the
   * slide's info with its new `scale`. The caller (the API) restarts the slide's embedding on the new grid.
   */
  async setPixelSize(id: string, mpp: number | null): Promise<SlideInfo> {
    const slide = this.get(id);
    if (mpp !== null) {
      const checked = checkUserMpp(mpp);
      if (typeof checked === 'string') throw new ApiError('invalid-argument', checked[0].toUpperCase() + checked.slice(1));
    }
    slide.fingerprint ??= await slideFingerprint(slide.path);
    await saveUserMpp(slide.fingerprint, mpp, this.dataDir);
    slide.info = { ...slide.info, scale: scaleOf(slide.reader, mpp) };
    this.emit({ type: 'slide-info-changed', slide: slide.info });
    return slide.info;
  }

  /** The slide's content fingerprint (computed once). */
  async fingerprint(id: string): Promise<string> {
    const slide = this.get(id);
    slide.fingerprint ??= await slideFingerprint(slide.path);
    return slide.fingerprint;
  }

  /** Shorthands for `events.on` / `events.emit`. */
  onEvent(listener: SlideEventListener): () => void {
    return this.events.on(listener);
  }

  emit(event: TesseraEvent): void {
    this.events.emit(event);
  }

  list(): SlideSummary[] {
    return [...this.slides.values()].map((s) => summaryOf(s.info));
  }

  /** Opens `path` (or returns the slide already open for the same file). */
  async open(path: string): Promise<SlideInfo> {
    if (typeof path !== 'string' || path.trim() === '') throw new ApiError('invalid-argument', 'No slide path given');
    let real: string;
    try {
      real = await realpath(resolve(expandHome(path.trim())));
    } catch {
      throw new ApiError('not-found', `No such file: ${path}`, 404);
    }
    for (const s of this.slides.values()) if (s.path === real) return s.info;
    let pending = this.opening.get(real);
    if (!pending) {
      pending = this.load(real).finally(() => this.opening.delete(real));
      this.opening.set(real, pending);
    }
    const slide = await pending;
    await this.recent.add(real);
    return slide.info;
  }

  async openSample(): Promise<SlideInfo> {
    this.emit({ type: 'progress', task: 'sample', label: 'Preparing the sample slide', done: 0, total: 1 });
    const path = await this.backend.ensureSampleSlide();
    this.emit({ type: 'progress', task: 'sample', label: 'Preparing the sample slide', done: 1, total: 1 });
    return this.open(path);
  }

  info(id: string): SlideInfo {
    return this.get(id).info;
  }

  has(id: string): boolean {
    return this.slides.has(id);
  }

  /**
   * The reader of the open slide at `path` (as opened here: the real path), lent to services that read its
   * pixels (the embedding service), so the slide has one handle: one decoded-tile cache for tiles and patches.
   * The borrower never closes it; closing the slide here does.
   */
  readerFor(path: string): { reader: SlideReader; fingerprint: string | null } | undefined {
    for (const s of this.slides.values()) if (s.path === path) return { reader: s.reader, fingerprint: s.fingerprint };
    return undefined;
  }

  async close(id: string): Promise<void> {
    const slide = this.get(id);
    this.slides.delete(id);
    this.emit({ type: 'slides-changed', slides: this.list() });
    await slide.reader.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.slides.values()];
    this.slides.clear();
    await Promise.allSettled(all.map((s) => s.reader.close()));
  }

  dzi(id: string): string {
    const slide = this.get(id);
    return slide.tiles.dzi(slide.info.deepZoom.format);
  }

  /** A Deep Zoom tile; throws ApiError not-found for unknown slides, SlideError for bad addresses. */
  tile(id: string, level: number, col: number, row: number, format: TileFormat): Promise<Buffer> {
    return this.get(id).tiles.getTile(level, col, row, format);
  }

  /** An associated image (label, macro, thumbnail) as JPEG. */
  associatedImage(id: string, name: string): Promise<Buffer> {
    const slide = this.get(id);
    if (!slide.reader.associatedImages.some((a) => a.name === name)) {
      throw new ApiError('not-found', `Slide ${slide.info.name} has no associated image "${name}"`, 404);
    }
    let bytes = slide.associated.get(name);
    if (!bytes) {
      bytes = slide.reader.readAssociatedImage(name).then((img) =>
        sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
          .flatten({ background: '#ffffff' })
          .jpeg({ quality: 90 })
          .toBuffer(),
      );
      bytes.catch(() => slide.associated.delete(name));
      slide.associated.set(name, bytes);
    }
    return bytes;
  }

  /**
   * The whole slide scaled to `width`×`height` (RGB/RGBA), read from the coarsest stored level with at least
   * that much detail that fits in one region read (else the finest one that does): under heatmap exports.
   */
  async overview(id: string, width: number, height: number): Promise<RawImage> {
    return slideOverview(this.get(id).reader, width, height);
  }

  /**
   * Level-0 region (x, y, width, height) of a slide scaled so its longer side is `size` px, as JPEG: read from
   * the coarsest stored level with at least that much detail (gallery thumbnails of search results).
   */
  async region(id: string, x: number, y: number, width: number, height: number, size: number): Promise<{ jpeg: Buffer; width: number; height: number }> {
    const { reader } = this.get(id);
    const wanted = Math.max(width, height) / size;
    const levels = reader.levels;
    let level = 0;
    for (let i = 0; i < levels.length; i++) if (levels[i].downsample <= wanted * 1.001) level = i;
    const ds = levels[level].downsample;
    const w = Math.max(1, Math.round(width / ds));
    const h = Math.max(1, Math.round(height / ds));
    if (w * h > MAX_REGION_PIXELS) throw new ApiError('too-large', 'That region is too large to read at once', 422);
    const region = await reader.readRegion(level, Math.round(x), Math.round(y), w, h);
    const outW = Math.max(1, Math.round((size * width) / Math.max(width, height)));
    const outH = Math.max(1, Math.round((size * height) / Math.max(width, height)));
    const jpeg = await sharp(region.data, { raw: { width: region.width, height: region.height, channels: region.channels } })
      .flatten({ background: '#ffffff' })
      .resize(outW, outH, { fit: 'fill' })
      .jpeg({ quality: 85 })
      .toBuffer();
    return { jpeg, width: outW, height: outH };
  }

  private get(id: string): OpenSlide {
    const slide = typeof id === 'string' ? this.slides.get(id) : undefined;
    if (!slide) throw new ApiError('not-found', `No open slide with id "${String(id)}"`, 404);
    return slide;
  }

  private async load(path: string): Promise<OpenSlide> {
    // A DICOM folder: the total of its DICOM files, not the folder entry.
    const size = await slideFileSize(path);
    const name = basename(path);
    this.emit({ type: 'progress', task: `open:${name}`, label: `Opening ${name}`, done: 0, total: 1 });
    let reader: SlideReader;
    try {
      reader = await this.backend.openSlide(path);
    } finally {
      this.emit({ type: 'progress', task: `open:${name}`, label: `Opening ${name}`, done: 1, total: 1 });
    }
    let tiles: TileService;
    try {
      tiles = this.backend.createTileService(reader);
    } catch (err) {
      await reader.close().catch(() => {});
      throw err;
    }
    // The pixel size the user set for these slide bytes, if any: a slide that cannot be fingerprinted has none.
    let fingerprint: string | null = null;
    let userMpp: number | null = null;
    try {
      fingerprint = await slideFingerprint(path); // as the analysis services key it
      userMpp = await loadUserMpp(fingerprint, this.dataDir);
    } catch {
      // keep the file's scale
    }
    const id = randomBytes(6).toString('hex');
    const top = tiles.levelDimensions[tiles.levelCount - 1];
    const info: SlideInfo = {
      id,
      name,
      path,
      vendor: reader.vendor,
      width: reader.levels[0].width,
      height: reader.levels[0].height,
      levels: reader.levels.map((l) => ({ width: l.width, height: l.height, downsample: l.downsample })),
      mpp: reader.mpp ? { x: reader.mpp.x, y: reader.mpp.y } : null,
      scale: scaleOf(reader, userMpp),
      objectivePower: reader.objectivePower,
      fileSize: size,
      associatedImages: reader.associatedImages.map((a) => ({
        name: a.name,
        width: a.width,
        height: a.height,
        path: slideUrls.associated(id, a.name),
      })),
      deepZoom: {
        width: top.width,
        height: top.height,
        tileSize: tiles.tileSize,
        overlap: tiles.overlap,
        format: 'jpeg',
        levelCount: tiles.levelCount,
      },
      properties: { ...reader.properties },
    };
    const slide: OpenSlide = { id, path, fileSize: size, reader, tiles, info, associated: new Map(), fingerprint };
    this.slides.set(id, slide);
    this.emit({ type: 'slides-changed', slides: this.list() });
    return slide;
  }
}

/** The scale the app uses: the user's pixel size, else the file's (mean of x and y, as the patch grids), else assumed. */
function scaleOf(reader: SlideReader, userMpp: number | null): SlideInfo['scale'] {
  if (userMpp !== null) return { mpp: userMpp, source: 'user' };
  const m = reader.mpp;
  if (m && Number.isFinite(m.x) && m.x > 0) return { mpp: (m.x + (Number.isFinite(m.y) && m.y > 0 ? m.y : m.x)) / 2, source: 'slide' };
  return { mpp: assumedMpp, source: 'assumed' };
}

function summaryOf(info: SlideInfo): SlideSummary {
  const { id, name, path, vendor, width, height } = info;
  return { id, name, path, vendor, width, height };
}
