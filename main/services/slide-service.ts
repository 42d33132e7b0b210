// The slides the user opened in this session: id -> path, SlideReader and Deep Zoom tile service.
// Tile and associated-image requests are answered only for slides registered here, so no request can
// reach a file the user did not open.
import { randomBytes } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import sharp from 'sharp';
import type { SlideReader } from '../slide/slide-reader.js';
import type { DeepZoomTileService } from '../tiles/index.js';
import type { TileFormat } from '../tiles/index.js';
import type { SlideInfo, SlideSummary, TesseraEvent } from '../contracts/tessera-api.js';
import { slideUrls } from '../contracts/tessera-api.js';
import { ApiError } from './api-error.js';
import { RecentSlides } from './recent-slides.js';
import { slideFileSize } from './slide-file-size.js';

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
}

export type SlideEventListener = (event: TesseraEvent) => void;

export class SlideService {
  private readonly slides = new Map<string, OpenSlide>();
  private readonly opening = new Map<string, Promise<OpenSlide>>();
  private readonly listeners = new Set<SlideEventListener>();

  constructor(
    private readonly backend: SlideBackend,
    readonly recent: RecentSlides = new RecentSlides(null),
  ) {}

  onEvent(listener: SlideEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: TesseraEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  list(): SlideSummary[] {
    return [...this.slides.values()].map((s) => summaryOf(s.info));
  }

  /** Opens `path` (or returns the slide already open for the same file). */
  async open(path: string): Promise<SlideInfo> {
    if (typeof path !== 'string' || path.trim() === '') throw new ApiError('invalid-argument', 'No slide path given');
    let real: string;
    try {
      real = await realpath(resolve(path.trim()));
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
    const slide: OpenSlide = { id, path, fileSize: size, reader, tiles, info, associated: new Map() };
    this.slides.set(id, slide);
    this.emit({ type: 'slides-changed', slides: this.list() });
    return slide;
  }
}

function summaryOf(info: SlideInfo): SlideSummary {
  const { id, name, path, vendor, width, height } = info;
  return { id, name, path, vendor, width, height };
}
