// Encodes Deep Zoom tile pixels: flatten onto white (OpenSlide's background), resize to the tile's final
// size when it differs, and compress. JPEG tiles that need no resampling, or an exact halving (a tile
// cut from a stored level at 2× its scale: a 2 × 2 box average, what libjpeg's 1/2 DCT scaling
// approximates), are compressed by libjpeg-turbo directly (slide/codecs/libjpeg-turbo.ts: a seventh of
// a libvips pipeline's fixed cost); other sizes and PNG go through one libvips pipeline (Lanczos 3).
import sharp from 'sharp';
import type { RawImage } from '../slide/slide-reader.js';
import { boxShrink, rgbOf } from '../slide/slide-handle.js';
import { encodeWithLibjpegTurbo, libjpegTurboAvailable } from '../slide/codecs/libjpeg-turbo.js';
import type { TileFormat } from './dzi-descriptor.js';
import type { Size } from './deepzoom-geometry.js';
import { PixelBufferPool } from '../slide/pixel-buffer-pool.js';
import { areaShrinkRgb } from './raw-pixels.js';

export interface EncodeOptions {
  format: TileFormat;
  /** JPEG quality 1–100. */
  quality: number;
}

/** Largest output (pixels) shrunk in JS rather than by libvips (~10 µs of JS per 10 output pixels × taps). */
const SMALL_SHRINK_PIXELS = 256 * 16;

/** Buffers of halvings (and of the regions tiles are cut into, native-jpeg-tiles.ts), reused once encoded. */
export const tilePixelPool = new PixelBufferPool();

export function encodeTile(pixels: RawImage, size: Size, options: EncodeOptions): Promise<Buffer> {
  return encodeRgb(rgbOf(pixels), pixels.width, pixels.height, size, options);
}

/** Encodes width × height RGB pixels, resized to `size` when it differs (halved exactly, else Lanczos 3). */
export async function encodeRgb(data: Buffer, width: number, height: number, size: Size, { format, quality }: EncodeOptions): Promise<Buffer> {
  if (format === 'jpeg' && libjpegTurboAvailable()) {
    if (width === size.width && height === size.height) return encodeWithLibjpegTurbo(data, width, height, quality);
    if (width === 2 * size.width && height === 2 * size.height) {
      const half = boxShrink(data, width, height, 2, tilePixelPool.take(size.width * size.height * 3));
      try {
        return await encodeWithLibjpegTurbo(half, size.width, size.height, quality);
      } finally {
        tilePixelPool.give(half);
      }
    }
    // Small shrinks (the slivers along a level's right and bottom edges, which OpenSlide stretches from
    // a region cut short): area means in JS beat a libvips call's fixed cost.
    const sx = width / size.width;
    const sy = height / size.height;
    if (size.width * size.height <= SMALL_SHRINK_PIXELS && sx >= 1 && sy >= 1 && sx <= 4 && sy <= 4) {
      return encodeWithLibjpegTurbo(areaShrinkRgb(data, width, height, size.width, size.height), size.width, size.height, quality);
    }
  }
  let pipeline = sharp(data, { raw: { width, height, channels: 3 } });
  if (width !== size.width || height !== size.height) pipeline = pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
  return format === 'png'
    ? pipeline.png({ compressionLevel: 4, adaptiveFiltering: false }).toBuffer()
    : pipeline.jpeg({ quality, optimiseCoding: false }).toBuffer();
}
