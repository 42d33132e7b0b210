// The one SlideReader behind every tiled format: a format driver supplies levels (tile grids),
// metadata and associated images; this class adds argument checks, regions and the slide's handle (its
// one decoded-tile cache and decode counter, which Deep Zoom tiles and encoder patches share: slide-handle.ts).
import type { ByteLruCache } from '../common/byte-lru-cache.js';
import { toRgba, type RgbaImage } from './codecs/rgba.js';
import { checkRegionSize, copyRegion, readLevelRegion } from './region-reader.js';
import { DEFAULT_TILE_CACHE_BYTES, SlideHandle, type DecodedTile, type HasSlideHandle } from './slide-handle.js';
import { SlideError } from './slide-errors.js';
import type { AssociatedImageInfo, NativeTile, OpenSlideOptions, RawImage, SlideLevel, SlideReader } from './slide-reader.js';
import type { TileGridLevel } from './tile-grid.js';
import type { FileSource } from './file-source.js';

export { DEFAULT_TILE_CACHE_BYTES };

export interface AssociatedImageSource extends AssociatedImageInfo {
  read(): Promise<RgbaImage>;
}

/** An associated image (thumbnail, label, macro) stored as one image: `level`, decoded whole when read. */
export function associatedImageOfLevel(name: string, level: TileGridLevel): AssociatedImageSource {
  const { width, height } = level;
  return {
    name,
    width,
    height,
    read: async () => {
      checkRegionSize(width, height);
      return copyRegion(level, (col, row) => level.decodeTile(col, row), 0, 0, width, height);
    },
  };
}

export interface TiledSlideParts {
  vendor: string;
  /** The main file (level 0): fingerprints and messages name it. */
  source: FileSource;
  /** Further files the slide reads (DICOM: one per level), closed with it. */
  extraSources?: FileSource[];
  levels: TileGridLevel[];
  mpp: { x: number; y: number } | null;
  objectivePower: number | null;
  /** Vendor and `tiff.*` properties; the engine adds the `openslide.*` level/vendor/mpp ones. */
  properties: Record<string, string>;
  associated: AssociatedImageSource[];
}

export class TiledSlide implements SlideReader, HasSlideHandle {
  readonly vendor: string;
  readonly levels: readonly SlideLevel[];
  readonly mpp: { x: number; y: number } | null;
  readonly objectivePower: number | null;
  readonly properties: Readonly<Record<string, string>>;
  readonly associatedImages: readonly AssociatedImageInfo[];
  /** The open file (for fingerprints and diagnostics). */
  readonly source: FileSource;
  /** This slide's pixels: one decoded-tile cache, LRU by bytes (concurrent requests for one tile share one decode), and the decode counter. */
  readonly handle: SlideHandle;
  private readonly grid: TileGridLevel[];
  private readonly associated: Map<string, AssociatedImageSource>;
  private readonly extraSources: FileSource[];
  private closed = false;

  constructor(parts: TiledSlideParts, options: OpenSlideOptions = {}) {
    if (parts.levels.length === 0) throw new SlideError('corrupt', `${parts.source.path} has no pyramid levels`);
    this.vendor = parts.vendor;
    this.source = parts.source;
    this.extraSources = parts.extraSources ?? [];
    this.grid = parts.levels;
    this.levels = parts.levels.map(({ width, height, downsample, tileWidth, tileHeight }) => ({ width, height, downsample, tileWidth, tileHeight }));
    this.mpp = parts.mpp;
    this.objectivePower = parts.objectivePower;
    this.associated = new Map(parts.associated.map((a) => [a.name, a]));
    this.associatedImages = parts.associated.map(({ name, width, height }) => ({ name, width, height }));
    this.properties = Object.freeze(withOpenSlideProperties(parts));
    const grid = this.grid;
    this.handle = new SlideHandle(
      {
        levels: grid,
        decodeTile: (level, col, row) => grid[level].decodeTile(col, row),
        readNativeTile: (level, col, row) => grid[level].readNativeTile(col, row),
      },
      { tileCacheBytes: options.tileCacheBytes ?? DEFAULT_TILE_CACHE_BYTES, path: parts.source.path, ...(options.onTileDecode ? { onDecode: options.onTileDecode } : {}) },
    );
  }

  /** The decoded-tile cache (the handle's). */
  get cache(): ByteLruCache<string, DecodedTile> {
    return this.handle.cache;
  }

  readRegion(level: number, x: number, y: number, width: number, height: number): Promise<RawImage> {
    return this.guard(() => {
      const grid = this.level(level);
      return readLevelRegion(grid, (col, row) => this.cachedTile(level, col, row), x, y, width, height);
    });
  }

  readNativeTile(level: number, col: number, row: number): Promise<NativeTile | null> {
    return this.guard(() => {
      const grid = this.level(level);
      checkTile(grid, col, row);
      return grid.readNativeTile(col, row);
    });
  }

  /** Tile (col, row) of `level` decoded to RGBA, through the cache. */
  decodedTile(level: number, col: number, row: number): Promise<RgbaImage> {
    return this.guard(async () => {
      const tile = await this.cachedTile(level, col, row);
      return tile.channels === 4 ? (tile as RgbaImage) : toRgba(tile.data, tile.width, tile.height, 3);
    });
  }

  /** Tile (col, row) of `level` as the cache holds it (RGB on JPEG levels, else RGBA). */
  private cachedTile(level: number, col: number, row: number): Promise<DecodedTile> {
    const grid = this.level(level);
    checkTile(grid, col, row);
    return this.handle.tile(level, col, row);
  }

  readAssociatedImage(name: string): Promise<RawImage> {
    return this.guard(() => {
      this.checkOpen();
      const image = this.associated.get(name);
      if (!image) {
        const known = [...this.associated.keys()].join(', ') || 'none';
        throw new SlideError('invalid-argument', `No associated image "${name}" in this slide (it has: ${known})`);
      }
      return image.read();
    });
  }

  /** Callers catch one error type: anything else a decoder or the OS throws becomes a SlideError. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof SlideError) throw err;
      throw new SlideError('corrupt', `${this.source.path} could not be read: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
    await Promise.all([this.source, ...this.extraSources].map((s) => s.close()));
  }

  private level(level: number): TileGridLevel {
    this.checkOpen();
    const grid = this.grid[level];
    if (!Number.isInteger(level) || !grid) {
      throw new SlideError('invalid-argument', `Level ${level} does not exist (this slide has levels 0–${this.grid.length - 1})`);
    }
    return grid;
  }

  private checkOpen(): void {
    if (this.closed) throw new SlideError('invalid-argument', 'This slide has been closed');
  }
}

function checkTile(grid: TileGridLevel, col: number, row: number): void {
  if (!Number.isInteger(col) || !Number.isInteger(row) || col < 0 || row < 0 || col >= grid.tilesAcross || row >= grid.tilesDown) {
    throw new SlideError('invalid-argument', `Tile (${col}, ${row}) is outside the ${grid.tilesAcross}×${grid.tilesDown} tile grid of this level`);
  }
}

/** OpenSlide's standard properties derived from the geometry and metadata. */
function withOpenSlideProperties(parts: TiledSlideParts): Record<string, string> {
  const p: Record<string, string> = { ...parts.properties };
  p['openslide.vendor'] = parts.vendor;
  p['openslide.level-count'] = String(parts.levels.length);
  parts.levels.forEach((l, i) => {
    p[`openslide.level[${i}].width`] = String(l.width);
    p[`openslide.level[${i}].height`] = String(l.height);
    p[`openslide.level[${i}].downsample`] = String(l.downsample);
    p[`openslide.level[${i}].tile-width`] = String(l.tileWidth);
    p[`openslide.level[${i}].tile-height`] = String(l.tileHeight);
  });
  if (parts.mpp) {
    p['openslide.mpp-x'] ??= String(parts.mpp.x);
    p['openslide.mpp-y'] ??= String(parts.mpp.y);
  }
  if (parts.objectivePower !== null) p['openslide.objective-power'] ??= String(parts.objectivePower);
  return Object.fromEntries(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
