// Renders a tile straight from a stored level's JPEG tiles: each stored tile the rectangle touches comes
// from the slide's handle (slide/slide-handle.ts: decoded once to RGB by libjpeg-turbo and kept in the
// slide's one byte-bounded cache, which the encoder's patches and read_region share), the rectangle is
// copied out in JS, then resampled and encoded (tile-encoder.ts). A rectangle cut at exactly 2× comes
// from the tiles decoded at half size by libjpeg's DCT scaling instead, where the decoder can.
// Why not one libvips pipeline (join + extract + encode)? Same cost when nothing is cached (a sharp call
// costs ~0.5 ms of fixed overhead, about one 256-px decode, so 4 decodes + 1 encode ≈ one join), but a
// 254/1 Deep Zoom tile straddles 4 stored tiles and each stored tile is shared by ~4 neighbouring Deep Zoom
// tiles: a viewer's viewport or pan re-decodes almost nothing, and coarse stored levels stay decoded.
// The decodes of one tile also run in parallel on the libuv threadpool.
import { handleOf, type DecodedTile, type SlideHandle } from '../slide/slide-handle.js';
import type { SlideReader } from '../slide/slide-reader.js';
import type { Rect, Size } from './deepzoom-geometry.js';
import type { EncodeOptions } from './tile-encoder.js';
import { encodeRgb, tilePixelPool } from './tile-encoder.js';

/** More stored tiles than this per Deep Zoom tile is not worth it here (never happens at scale ≤ 2). */
const MAX_TILES_PER_RENDER = 16;

export class NativeJpegTiles {
  readonly handle: SlideHandle;

  constructor(private readonly slide: SlideReader) {
    this.handle = handleOf(slide);
  }

  /**
   * `rect` (stored-level pixels) of `level`, resampled to `size` and encoded; null when this level cannot
   * be served this way (not JPEG, rect not inside the level) so the caller takes the general path.
   */
  async render(level: number, rect: Rect, size: Size, encode: EncodeOptions): Promise<Buffer | null> {
    const stored = this.slide.levels[level];
    if (rect.x < 0 || rect.y < 0 || rect.x + rect.width > stored.width || rect.y + rect.height > stored.height) return null;
    if (!(await this.handle.isJpegLevel(level))) return null;
    if (rect.width === 2 * size.width && rect.height === 2 * size.height && stored.tileWidth % 2 === 0 && stored.tileHeight % 2 === 0) {
      const half = await this.renderFromHalfTiles(level, rect, size, encode);
      if (half) return half;
    }
    const tw = stored.tileWidth;
    const th = stored.tileHeight;
    const grid = tileSpan(rect, tw, th);
    if (!grid) return null;
    // Copy the rectangle out of the (1–4, at most 16) decoded tiles into a pooled buffer, handed back once
    // encoded (the tiles' pixels are the handle's only while the callback runs).
    const out = await this.handle.withTiles(level, grid, (tiles) => {
      // A tile that is not plain RGB of the tile size (decoded by the driver instead): the general path reads it.
      if (tiles.some((t) => t.channels !== 3 || t.width !== tw || t.height !== th)) return null;
      return copyFromTiles(tiles, grid, tw, th, rect, tilePixelPool.take(rect.width * rect.height * 3));
    });
    if (!out) return null;
    try {
      return await encodeRgb(out, rect.width, rect.height, size, encode);
    } finally {
      tilePixelPool.give(out);
    }
  }

  /**
   * A region cut at exactly 2× (rect twice `size`) from the stored tiles decoded at half size by libjpeg's
   * DCT scaling (libvips' shrink-on-load, OpenSlide's reduction for NDPI levels): a quarter of the pixels to
   * reconstruct and nothing left to resample. An odd origin falls between two half-size pixels: each output
   * pixel is then the mean of the two (or four) it straddles, centred where OpenSlide's is. Null where the
   * tiles cannot be decoded so (the caller decodes them in full and halves).
   */
  private async renderFromHalfTiles(level: number, rect: Rect, size: Size, encode: EncodeOptions): Promise<Buffer | null> {
    const { tileWidth, tileHeight } = this.slide.levels[level];
    const hw = tileWidth / 2;
    const hh = tileHeight / 2;
    const oddX = rect.x % 2;
    const oddY = rect.y % 2;
    const window = { x: (rect.x - oddX) / 2, y: (rect.y - oddY) / 2, width: size.width + oddX, height: size.height + oddY };
    const grid = tileSpan(window, hw, hh);
    if (!grid) return null;
    // The half-size tiles' pixels are the handle's only while the callback runs: copied out there.
    const pixels = await this.handle.withScaledJpegTiles(level, grid, 2, (tiles) => {
      if (tiles.some((t) => t.width !== hw || t.height !== hh)) return null;
      return copyFromTiles(tiles, grid, hw, hh, window, tilePixelPool.take(window.width * window.height * 3));
    });
    if (!pixels) return null;
    const out = oddX || oddY ? averageNeighbours(pixels, window.width, size, oddX, oddY, tilePixelPool.take(size.width * size.height * 3)) : pixels;
    if (out !== pixels) tilePixelPool.give(pixels);
    try {
      return await encodeRgb(out, size.width, size.height, size, encode);
    } finally {
      tilePixelPool.give(out);
    }
  }
}

/** The (col, row) of every tile of a tw × th grid that `rect` touches, row by row; null past MAX_TILES_PER_RENDER. */
function tileSpan(rect: Rect, tw: number, th: number): [number, number][] | null {
  const col0 = Math.floor(rect.x / tw);
  const row0 = Math.floor(rect.y / th);
  const col1 = Math.ceil((rect.x + rect.width) / tw);
  const row1 = Math.ceil((rect.y + rect.height) / th);
  if ((col1 - col0) * (row1 - row0) > MAX_TILES_PER_RENDER) return null;
  const out: [number, number][] = [];
  for (let row = row0; row < row1; row++) for (let col = col0; col < col1; col++) out.push([col, row]);
  return out;
}

/** Copies `rect` (grid pixels) out of RGB tiles of tw × th laid at their (col, row) into `out`. */
function copyFromTiles(tiles: readonly DecodedTile[], grid: readonly [number, number][], tw: number, th: number, rect: Rect, out: Buffer): Buffer {
  grid.forEach(([col, row], i) => {
    const tile = tiles[i].data;
    const x0 = Math.max(rect.x, col * tw);
    const x1 = Math.min(rect.x + rect.width, (col + 1) * tw);
    const y0 = Math.max(rect.y, row * th);
    const y1 = Math.min(rect.y + rect.height, (row + 1) * th);
    const rowBytes = (x1 - x0) * 3;
    for (let y = y0; y < y1; y++) {
      const s = ((y - row * th) * tw + (x0 - col * tw)) * 3;
      tile.copy(out, ((y - rect.y) * rect.width + (x0 - rect.x)) * 3, s, s + rowBytes);
    }
  });
  return out;
}

/** size.width × size.height RGB, each pixel the rounded mean of itself and its right (oddX) and/or lower (oddY) neighbours in `src` (srcWidth wide). */
export function averageNeighbours(src: Buffer, srcWidth: number, size: Size, oddX: number, oddY: number, out: Buffer): Buffer {
  const stride = srcWidth * 3;
  const rowBytes = size.width * 3;
  let o = 0;
  // One loop per case, without a test per byte (one odd axis: ~1.3× the single loop).
  if (oddX && oddY) {
    for (let y = 0; y < size.height; y++) {
      for (let i = y * stride, end = i + rowBytes; i < end; i++) out[o++] = (src[i] + src[i + 3] + src[i + stride] + src[i + stride + 3] + 2) >> 2;
    }
  } else {
    const next = oddX ? 3 : stride;
    for (let y = 0; y < size.height; y++) {
      for (let i = y * stride, end = i + rowBytes; i < end; i++) out[o++] = (src[i] + src[i + next] + 1) >> 1;
    }
  }
  return out;
}
