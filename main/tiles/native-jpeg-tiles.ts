// Renders a tile straight from a stored level's JPEG tiles: each stored tile the rectangle touches comes
// from the slide's handle (slide/slide-handle.ts: decoded once to RGB by libjpeg-turbo and kept in the
// slide's one byte-bounded cache, which the encoder's patches and read_region share), the rectangle is
// copied out in JS, then resampled/encoded in one libvips call.
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
import { shiftRgbBilinear } from './raw-pixels.js';

/** A bilinear sub-pixel shift in 1/256 pixel (0–255 each way). */
export interface SubPixelShift {
  dx: number;
  dy: number;
}

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
  async render(level: number, rect: Rect, size: Size, encode: EncodeOptions, shift?: SubPixelShift): Promise<Buffer | null> {
    if (shift && (shift.dx !== 0 || shift.dy !== 0)) {
      // The window one pixel larger, then OpenSlide's bilinear sub-pixel placement (rect's size = size).
      const window = { x: rect.x, y: rect.y, width: rect.width + 1, height: rect.height + 1 };
      return this.renderPixels(level, window, (win) => {
        const out = tilePixelPool.take(rect.width * rect.height * 3);
        shiftRgbBilinear(win, rect.width, rect.height, shift.dx, shift.dy, out);
        return { data: out, width: rect.width, height: rect.height };
      }, size, encode);
    }
    return this.renderPixels(level, rect, (data) => ({ data, width: rect.width, height: rect.height }), size, encode);
  }

  private async renderPixels(
    level: number,
    rect: Rect,
    finish: (pixels: Buffer) => { data: Buffer; width: number; height: number },
    size: Size,
    encode: EncodeOptions,
  ): Promise<Buffer | null> {
    const stored = this.slide.levels[level];
    if (rect.x < 0 || rect.y < 0 || rect.x + rect.width > stored.width || rect.y + rect.height > stored.height) return null;
    if (!(await this.handle.isJpegLevel(level))) return null;
    const tw = stored.tileWidth;
    const th = stored.tileHeight;
    const col0 = Math.floor(rect.x / tw);
    const row0 = Math.floor(rect.y / th);
    const col1 = Math.ceil((rect.x + rect.width) / tw);
    const row1 = Math.ceil((rect.y + rect.height) / th);
    if ((col1 - col0) * (row1 - row0) > MAX_TILES_PER_RENDER) return null;
    const wanted: Promise<DecodedTile>[] = [];
    for (let row = row0; row < row1; row++) for (let col = col0; col < col1; col++) wanted.push(this.handle.tile(level, col, row));
    const tiles = await Promise.all(wanted);
    // A tile that is not plain RGB of the tile size (decoded by the driver instead): the general path reads it.
    if (tiles.some((t) => t.channels !== 3 || t.width !== tw || t.height !== th)) return null;
    // Copy the rectangle's rows out of the (1–4, at most 16) decoded tiles, into a pooled buffer that is
    // handed back once encoded.
    const out = tilePixelPool.take(rect.width * rect.height * 3);
    let i = 0;
    for (let row = row0; row < row1; row++) {
      for (let col = col0; col < col1; col++) {
        const tile = tiles[i++].data;
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
    const pixels = finish(out);
    if (pixels.data !== out) tilePixelPool.give(out);
    try {
      return await encodeRgb(pixels.data, pixels.width, pixels.height, size, encode);
    } finally {
      tilePixelPool.give(pixels.data);
    }
  }
}
