// Renders a tile straight from a stored level's JPEG tiles: each stored tile the rectangle touches is
// decoded once to RGB by libjpeg-turbo (sharp) and kept in a byte-bounded LRU shared by all requests,
// the rectangle is copied out in JS, then resampled/encoded in one libvips call.
// Why not one libvips pipeline (join + extract + encode)? Same cost when nothing is cached (a sharp call
// costs ~0.5 ms of fixed overhead, about one 256-px decode, so 4 decodes + 1 encode ≈ one join), but a
// 254/1 Deep Zoom tile straddles 4 stored tiles and each stored tile is shared by ~4 neighbouring Deep Zoom
// tiles: a viewer's viewport or pan re-decodes almost nothing, and coarse stored levels stay decoded.
// The decodes of one tile also run in parallel on the libuv threadpool.
import sharp from 'sharp';
import type { SlideReader } from '../slide/slide-reader.js';
import { ByteLruCache } from '../common/byte-lru-cache.js';
import type { Rect, Size } from './deepzoom-geometry.js';
import type { EncodeOptions } from './tile-encoder.js';
import { encodeRgb } from './tile-encoder.js';

/** More stored tiles than this per Deep Zoom tile is not worth it here (never happens at scale ≤ 2). */
const MAX_TILES_PER_RENDER = 16;

/** RGB pixels, or why not: 'level' = this level's tiles are not plain RGB JPEG; 'tile' = this tile would not decode. */
type Decoded = Buffer | 'level' | 'tile';

export const DEFAULT_DECODED_TILE_CACHE_BYTES = 64 * 1024 * 1024;

export interface NativeJpegTilesOptions {
  /** Memory bound of the decoded stored-tile cache (RGB), bytes. Default 64 MiB (≈ 340 tiles of 256²). */
  decodedTileCacheBytes?: number;
}

export class NativeJpegTiles {
  /** Levels found not to have complete RGB JPEG tiles (J2K, stripped, greyscale…): no more attempts there. */
  private readonly unavailable = new Set<number>();
  private readonly decoded: ByteLruCache<string, Buffer>;
  private decodes = 0;

  constructor(
    private readonly slide: SlideReader,
    { decodedTileCacheBytes = DEFAULT_DECODED_TILE_CACHE_BYTES }: NativeJpegTilesOptions = {},
  ) {
    this.decoded = new ByteLruCache(decodedTileCacheBytes, (b) => b.length);
  }

  get cacheBytes(): number {
    return this.decoded.bytes;
  }

  get stats(): { decodes: number; hits: number } {
    return { decodes: this.decodes, hits: this.decoded.hits };
  }

  clear(): void {
    this.decoded.clear();
  }

  /**
   * `rect` (stored-level pixels) of `level`, resampled to `size` and encoded; null when this level cannot
   * be served this way (not JPEG, rect not inside the level) so the caller takes the general path.
   */
  async render(level: number, rect: Rect, size: Size, encode: EncodeOptions): Promise<Buffer | null> {
    if (this.unavailable.has(level)) return null;
    const stored = this.slide.levels[level];
    if (rect.x < 0 || rect.y < 0 || rect.x + rect.width > stored.width || rect.y + rect.height > stored.height) return null;
    const tw = stored.tileWidth;
    const th = stored.tileHeight;
    const col0 = Math.floor(rect.x / tw);
    const row0 = Math.floor(rect.y / th);
    const col1 = Math.ceil((rect.x + rect.width) / tw);
    const row1 = Math.ceil((rect.y + rect.height) / th);
    if ((col1 - col0) * (row1 - row0) > MAX_TILES_PER_RENDER) return null;
    const wanted: Promise<Decoded>[] = [];
    for (let row = row0; row < row1; row++) for (let col = col0; col < col1; col++) wanted.push(this.tile(level, col, row));
    const tiles = await Promise.all(wanted);
    if (tiles.includes('level')) this.unavailable.add(level);
    if (tiles.some((t) => !Buffer.isBuffer(t))) return null;
    // Copy the rectangle's rows out of the (1–4, at most 16) decoded tiles.
    const out = Buffer.allocUnsafe(rect.width * rect.height * 3);
    let i = 0;
    for (let row = row0; row < row1; row++) {
      for (let col = col0; col < col1; col++) {
        const tile = tiles[i++] as Buffer;
        const x0 = Math.max(rect.x, col * tw);
        const x1 = Math.min(rect.x + rect.width, (col + 1) * tw);
        const y0 = Math.max(rect.y, row * th);
        const y1 = Math.min(rect.y + rect.height, (row + 1) * th);
        const rowBytes = (x1 - x0) * 3;
        for (let y = y0; y < y1; y++) {
          const s = ((y - row * th) * tw + (x0 - col * tw)) * 3;
          tile.copy(out, ((y - rect.y) * rect.width + (x0 - rect.x)) * 3, s, s + rowBytes);
        }
      }
    }
    return encodeRgb(out, rect.width, rect.height, size, encode);
  }

  /** Stored tile (col, row) decoded to tileWidth × tileHeight RGB, through the cache; concurrent asks share one decode. */
  private tile(level: number, col: number, row: number): Promise<Decoded> {
    return this.decoded.getOrLoad(`${level}/${col}/${row}`, () => this.decode(level, col, row), (rgb) => Buffer.isBuffer(rgb));
  }

  /**
   * One stored tile decoded by its own libvips call: the tiles of one Deep Zoom tile decode in parallel on
   * the libuv threadpool. (Joining them into one call measured ~15% more CPU, not less: arrayjoin's
   * copies cost more than the per-call overhead they save.)
   */
  private async decode(level: number, col: number, row: number): Promise<Decoded> {
    const { tileWidth: tw, tileHeight: th } = this.slide.levels[level];
    const native = await this.slide.readNativeTile(level, col, row);
    if (!native || native.encoding !== 'jpeg' || native.width !== tw || native.height !== th) return 'level';
    this.decodes++;
    try {
      const { data, info } = await sharp(native.bytes, { failOn: 'error', limitInputPixels: tw * th, sequentialRead: true })
        .raw()
        .toBuffer({ resolveWithObject: true });
      // Greyscale, CMYK, or a stream whose size disagrees with the directory: the slide reader's path handles those.
      return info.channels === 3 && info.width === tw && info.height === th ? data : 'level';
    } catch {
      // A tile libjpeg will not decode: let the slide reader's path report it properly.
      return 'tile';
    }
  }
}
