// Encodes Deep Zoom tile pixels: flatten onto white (OpenSlide's background), resize to the tile's final
// size when it differs, and compress, all in one libvips pipeline.
import sharp from 'sharp';
import type { RawImage } from '../slide/slide-reader.js';
import type { TileFormat } from './dzi-descriptor.js';
import type { Size } from './deepzoom-geometry.js';
import { rawDescriptor } from './raw-pixels.js';

export interface EncodeOptions {
  format: TileFormat;
  /** JPEG quality 1–100. */
  quality: number;
}

export async function encodeTile(pixels: RawImage, size: Size, { format, quality }: EncodeOptions): Promise<Buffer> {
  let pipeline = sharp(pixels.data, rawDescriptor(pixels));
  if (pixels.channels === 4) pipeline = pipeline.flatten({ background: { r: 255, g: 255, b: 255 } });
  if (pixels.width !== size.width || pixels.height !== size.height) {
    pipeline = pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
  }
  return format === 'png'
    ? pipeline.png({ compressionLevel: 4, adaptiveFiltering: false }).toBuffer()
    : pipeline.jpeg({ quality, optimiseCoding: false }).toBuffer();
}

/** Encodes width × height RGB pixels, resized (Lanczos 3) to `size` when it differs. */
export function encodeRgb(data: Buffer, width: number, height: number, size: Size, { format, quality }: EncodeOptions): Promise<Buffer> {
  let pipeline = sharp(data, { raw: { width, height, channels: 3 } });
  if (width !== size.width || height !== size.height) pipeline = pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
  return format === 'png'
    ? pipeline.png({ compressionLevel: 4, adaptiveFiltering: false }).toBuffer()
    : pipeline.jpeg({ quality, optimiseCoding: false }).toBuffer();
}
