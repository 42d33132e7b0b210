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

export interface EncodeOptions {
  format: TileFormat;
  /** JPEG quality 1–100. */
  quality: number;
}

export function encodeTile(pixels: RawImage, size: Size, options: EncodeOptions): Promise<Buffer> {
  return encodeRgb(rgbOf(pixels), pixels.width, pixels.height, size, options);
}

/** Encodes width × height RGB pixels, resized to `size` when it differs (halved exactly, else Lanczos 3). */
export function encodeRgb(data: Buffer, width: number, height: number, size: Size, { format, quality }: EncodeOptions): Promise<Buffer> {
  if (format === 'jpeg') {
    const same = width === size.width && height === size.height;
    const halved = width === 2 * size.width && height === 2 * size.height;
    if ((same || halved) && libjpegTurboAvailable()) {
      return encodeWithLibjpegTurbo(same ? data : boxShrink(data, width, height, 2), size.width, size.height, quality)!;
    }
  }
  let pipeline = sharp(data, { raw: { width, height, channels: 3 } });
  if (width !== size.width || height !== size.height) pipeline = pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
  return format === 'png'
    ? pipeline.png({ compressionLevel: 4, adaptiveFiltering: false }).toBuffer()
    : pipeline.jpeg({ quality, optimiseCoding: false }).toBuffer();
}
