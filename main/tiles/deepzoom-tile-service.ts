// Deep Zoom tiles over any SlideReader, laid out exactly as OpenSlide's DeepZoomGenerator
// (limit_bounds=False), for the Electron protocol and the HTTP host alike. Tiles that coincide with a
// stored JPEG tile are sent as stored; overview levels of slides without a close stored level are
// derived once into cached blocks, and levels no larger than a block keep their tiles' final pixels
// there; encoded tiles sit in a byte-bounded LRU.
import type { RawImage, SlideReader } from '../slide/slide-reader.js';
import { SlideError } from '../slide/slide-errors.js';
import { ByteLruCache } from '../common/byte-lru-cache.js';
import { DeepZoomGeometry, type DeepZoomTileInfo, type Size } from './deepzoom-geometry.js';
import { DeepZoomLevelReader, resampledRegion, shrinkToRgb } from './deepzoom-level-reader.js';
import { dziDescriptor, type TileFormat } from './dzi-descriptor.js';
import { planLevelSources, type LevelSource } from './level-source-plan.js';
import { NativeJpegTiles } from './native-jpeg-tiles.js';
import { encodeTile } from './tile-encoder.js';

export interface DeepZoomTileServiceOptions {
  /** Tile side without overlap (OpenSlide's default 254). */
  tileSize?: number;
  /** Pixels added on each interior edge (OpenSlide's default 1). */
  overlap?: number;
  /** Memory bound of the encoded-tile cache, bytes (0 disables it). Default 32 MiB. */
  tileCacheBytes?: number;
  /** Memory bound of the derived overview blocks, bytes. Default 64 MiB. */
  blockCacheBytes?: number;
  /** Side of a derived block in pixels. Default 512. */
  blockSize?: number;
  /** Relative downsample difference under which a stored level counts as the Deep Zoom level's scale. Default 0.01. */
  sameScaleTolerance?: number;
  /** Largest factor a tile is resampled from a stored level before overview blocks are derived instead. Default 2. */
  maxScale?: number;
  /**
   * Read stored levels within `sameScaleTolerance` of a Deep Zoom level (2.0005×, 64.09×) 1:1, as if
   * their downsample were the power of two, so their JPEG tiles pass through (the app's native-aligned
   * layout). Default false: such levels are resampled at their real downsample, as OpenSlide numbers them.
   */
  snapToStoredLevels?: boolean;
  /** Send stored JPEG tiles unchanged where a Deep Zoom tile is exactly one. Default true. */
  nativePassthrough?: boolean;
}

export interface TileServiceStats {
  tilesServed: number;
  passthroughTiles: number;
  cacheHits: number;
  tileCacheBytes: number;
  blockCacheBytes: number;
  /** Stored tiles decoded, and decoded-tile cache hits, by the slide's handle (whoever asked: tiles, patches, regions). */
  storedTileDecodes: number;
  storedTileHits: number;
  decodedTileCacheBytes: number;
}

export const DEFAULT_JPEG_QUALITY = 75;

/** Smallest resampling factor at which a fractional source origin is rounded to a whole stored pixel (see fromStoredJpeg). */
const MIN_ROUNDED_SCALE = 1.5;

export class DeepZoomTileService {
  readonly geometry: DeepZoomGeometry;
  readonly levelSources: readonly LevelSource[];
  private readonly levelReader: DeepZoomLevelReader;
  private readonly nativeJpeg: NativeJpegTiles;
  private readonly tiles: ByteLruCache<string, Buffer>;
  private readonly passthrough: boolean;
  private readonly counters = { tilesServed: 0, passthroughTiles: 0 };
  private readonly blockCacheCapacity: number;
  private warming: Promise<void> | undefined;
  private generation = 0;

  constructor(
    readonly slide: SlideReader,
    options: DeepZoomTileServiceOptions = {},
  ) {
    this.geometry = new DeepZoomGeometry(slide.levels, options.tileSize ?? 254, options.overlap ?? 1);
    this.levelSources = planLevelSources(
      this.geometry.levelDownsamples,
      slide.levels.map((l) => l.downsample),
      options,
    );
    this.blockCacheCapacity = options.blockCacheBytes ?? 64 * 1024 * 1024;
    this.levelReader = new DeepZoomLevelReader(slide, this.geometry, this.levelSources, { ...options, blockCacheBytes: this.blockCacheCapacity });
    this.nativeJpeg = new NativeJpegTiles(slide);
    this.tiles = new ByteLruCache(options.tileCacheBytes ?? 32 * 1024 * 1024, (b) => b.length);
    this.passthrough = options.nativePassthrough ?? true;
  }

  get tileSize(): number {
    return this.geometry.tileSize;
  }

  get overlap(): number {
    return this.geometry.overlap;
  }

  get levelCount(): number {
    return this.geometry.levelCount;
  }

  get levelDimensions(): readonly Size[] {
    return this.geometry.levelDimensions;
  }

  get levelTiles(): readonly { cols: number; rows: number }[] {
    return this.geometry.levelTiles;
  }

  /** The .dzi descriptor for this pyramid. */
  dzi(format: TileFormat = 'jpeg'): string {
    const { width, height } = this.geometry.levelDimensions[this.levelCount - 1];
    return dziDescriptor(width, height, this.tileSize, this.overlap, format);
  }

  tileInfo(level: number, col: number, row: number): DeepZoomTileInfo {
    try {
      return this.geometry.tileInfo(level, col, row);
    } catch (err) {
      if (err instanceof RangeError) throw new SlideError('invalid-argument', err.message);
      throw err;
    }
  }

  /** Tile (col, row) of Deep Zoom `level`, encoded. Invalid addresses throw SlideError 'invalid-argument'. */
  async getTile(level: number, col: number, row: number, format: TileFormat = 'jpeg', quality = DEFAULT_JPEG_QUALITY): Promise<Buffer> {
    if (format !== 'jpeg' && format !== 'png') throw new SlideError('invalid-argument', `Unknown tile format ${String(format)} (jpeg or png)`);
    if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
      throw new SlideError('invalid-argument', `JPEG quality must be an integer 1–100, not ${quality}`);
    }
    const info = this.tileInfo(level, col, row);
    const key = `${level}/${col}/${row}/${format}/${format === 'jpeg' ? quality : 0}`;
    this.counters.tilesServed++;
    return this.tiles.getOrLoad(key, () => this.renderTile(info, format, quality));
  }

  /**
   * Builds the derived overview levels (those with no stored level close enough, e.g. everything below
   * 1:2 on a one-level slide) in the background, so the first low-zoom requests find them ready instead
   * of each waiting on a pass over the whole slide. Call once after opening; safe to call again (returns
   * the same promise). Works one block at a time so concurrent requests keep their threads, and only warms
   * the coarse levels that fit in half the block cache (finer ones stay lazy), then makes the overview
   * levels' tiles (those no larger than a block). Never rejects; `close()`-ing the slide or `clearCaches()` stops it.
   */
  warmUp(): Promise<void> {
    this.warming ??= this.runWarmUp().catch(() => undefined);
    return this.warming;
  }

  private async runWarmUp(): Promise<void> {
    const budget = this.blockCacheCapacity / 2;
    // Derived levels from the coarsest up while their pixels fit the budget; build the finest of those
    // (the one pass over the slide), the coarser ones then come from its blocks.
    let finest = -1;
    let bytes = 0;
    for (let level = 0; level < this.levelCount && this.levelSources[level].kind === 'derived'; level++) {
      bytes += this.levelReader.levelBytes(level);
      if (bytes > budget) break;
      finest = level;
    }
    const generation = this.generation;
    const stop = () => this.generation !== generation;
    for (let level = finest; level >= 0; level--) await this.levelReader.warmLevel(level, stop);
    // Then the overview levels' tiles themselves (≤ 9 a level, ≤ 0.8 MB), coarsest first: the first
    // views of every viewer, each otherwise a read_region with a sub-pixel pass and a resize on first ask.
    // (Derived ones only where their blocks were just built: the others stay lazy.)
    for (let level = 0; level < this.levelCount && this.isOverviewLevel(level); level++) {
      if (this.levelSources[level].kind === 'derived' && level > finest) continue;
      const { cols, rows } = this.geometry.levelTiles[level];
      for (let row = 0; row < rows; row++) {
        for (let col = 0; col < cols; col++) {
          if (stop()) return;
          await this.keptPixels(this.geometry.tileInfo(level, col, row));
        }
      }
    }
  }

  stats(): TileServiceStats {
    const decoded = this.nativeJpeg.handle.stats();
    return {
      ...this.counters,
      cacheHits: this.tiles.hits,
      tileCacheBytes: this.tiles.bytes,
      blockCacheBytes: this.levelReader.blockCacheBytes,
      storedTileDecodes: decoded.decodes,
      storedTileHits: decoded.hits,
      decodedTileCacheBytes: decoded.cacheBytes,
    };
  }

  clearCaches(): void {
    this.generation++;
    this.warming = undefined;
    this.tiles.clear();
    this.levelReader.clear();
    this.nativeJpeg.handle.clear();
  }

  private async renderTile(info: DeepZoomTileInfo, format: TileFormat, quality: number): Promise<Buffer> {
    if (format === 'jpeg') {
      const native = await this.nativeTile(info);
      if (native) return native;
    }
    // The overview levels, no larger than one derived block (512 × 512 px, ≤ 4 tiles), are asked for again
    // and again (every viewer starts there): their tiles' final pixels are made once and kept with the
    // derived blocks (≤ 0.8 MB a level); each request only encodes.
    if (this.isOverviewLevel(info.level)) return encodeTile(await this.keptPixels(info), info.outputSize, { format, quality });
    const fast = await this.fromStoredJpeg(info, format, quality);
    if (fast) return fast;
    return encodeTile(await this.tilePixels(info), info.outputSize, { format, quality });
  }

  /** Whether `level` is no larger than one derived block: an overview level, whose tiles' final pixels are kept. */
  private isOverviewLevel(level: number): boolean {
    const dims = this.geometry.levelDimensions[level];
    return dims.width * dims.height <= this.levelReader.blockSize ** 2;
  }

  /** An overview level's tile's final pixels, made once by the general path and kept with the derived blocks. */
  private keptPixels(info: DeepZoomTileInfo): Promise<RawImage> {
    const { width, height } = info.outputSize;
    return this.levelReader.kept(`${info.level}/${info.col}/${info.row}`, async () => shrinkToRgb(await this.tilePixels(info), width, height));
  }

  /** The tile's pixels by the general path (read_region or derived blocks), at the Deep Zoom rect's size. */
  private tilePixels(info: DeepZoomTileInfo): Promise<RawImage> {
    return this.touchesEdge(info) ? this.levelReader.readStretchedEdge(info) : this.levelReader.read(info.level, info.dzRect);
  }

  /** A derived level's tile on its right or bottom edge, where OpenSlide stretches the slide's end over the tile. */
  private touchesEdge(info: DeepZoomTileInfo): boolean {
    if (this.levelSources[info.level].kind !== 'derived') return false;
    const dz = this.geometry.levelDimensions[info.level];
    return info.dzRect.x + info.dzRect.width >= dz.width || info.dzRect.y + info.dzRect.height >= dz.height;
  }

  /** Stored and resampled levels: straight from the stored JPEG tiles when the slide has them. */
  private fromStoredJpeg(info: DeepZoomTileInfo, format: TileFormat, quality: number): Promise<Buffer | null> {
    const source = this.levelSources[info.level];
    if (source.kind === 'derived') return Promise.resolve(null);
    let rect = info.dzRect;
    if (source.kind === 'resampled') {
      // OpenSlide's region at the stored level's real downsample. Whole-pixel origins are plain copies; a
      // fractional one (levels 1.99997× apart, from floor-halved sizes) is rounded to the nearest stored
      // pixel where the tile shrinks the region ≥ 1.5×: at most ⅓ of an output pixel off OpenSlide's
      // bilinear shift, and the tile comes from the decoded RGB tiles (one resize + encode) instead of an
      // RGBA read_region, a sub-pixel pass in JS and two libvips calls (≈ 2.5× the time).
      const stored = this.slide.levels[source.slideLevel];
      const r = resampledRegion(stored, source.scale, info.dzRect);
      let { levelX, levelY } = r;
      if ((levelX === undefined || levelY === undefined) && source.scale >= MIN_ROUNDED_SCALE) {
        levelX = Math.round(r.x0 / stored.downsample);
        levelY = Math.round(r.y0 / stored.downsample);
      }
      if (levelX === undefined || levelY === undefined) return Promise.resolve(null);
      rect = { x: levelX, y: levelY, width: r.width, height: r.height };
    }
    return this.nativeJpeg.render(source.slideLevel, rect, info.outputSize, { format, quality });
  }

  /** The stored JPEG tile when this Deep Zoom tile is exactly one: same scale, same grid, full, inside the level. */
  private async nativeTile(info: DeepZoomTileInfo): Promise<Buffer | null> {
    const source = this.levelSources[info.level];
    if (!this.passthrough || source.kind !== 'stored' || this.overlap !== 0) return null;
    const stored = this.slide.levels[source.slideLevel];
    const t = this.tileSize;
    if (stored.tileWidth !== t || stored.tileHeight !== t) return null;
    const dz = this.geometry.levelDimensions[info.level];
    const { x, y, width, height } = info.dzRect;
    if (width !== t || height !== t || x + t > Math.min(dz.width, stored.width) || y + t > Math.min(dz.height, stored.height)) return null;
    const native = await this.slide.readNativeTile(source.slideLevel, info.col, info.row);
    if (!native || native.encoding !== 'jpeg' || native.width !== t || native.height !== t) return null;
    this.counters.passthroughTiles++;
    return native.bytes;
  }
}
