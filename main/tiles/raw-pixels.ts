// Small helpers on raw interleaved pixels: blank canvases, rectangle copies, and sharp's raw descriptor.
import type { RawImage } from '../slide/slide-reader.js';

/** An RGB image filled with white (OpenSlide's default background). */
export function whiteRgb(width: number, height: number): RawImage {
  return { data: Buffer.alloc(width * height * 3, 255), width, height, channels: 3 };
}

/** Copies src's pixels into dst with src's top-left at (dx, dy) in dst, clipped to dst. Same channel count. */
export function blit(src: RawImage, dst: RawImage, dx: number, dy: number): void {
  if (src.channels !== dst.channels) throw new Error('blit needs images with the same channels');
  const c = src.channels;
  const x0 = Math.max(0, dx);
  const y0 = Math.max(0, dy);
  const x1 = Math.min(dst.width, dx + src.width);
  const y1 = Math.min(dst.height, dy + src.height);
  if (x1 <= x0 || y1 <= y0) return;
  const rowBytes = (x1 - x0) * c;
  for (let y = y0; y < y1; y++) {
    const s = ((y - dy) * src.width + (x0 - dx)) * c;
    src.data.copy(dst.data, (y * dst.width + x0) * c, s, s + rowBytes);
  }
}

export function rawDescriptor(image: RawImage): { raw: { width: number; height: number; channels: 3 | 4 } } {
  return { raw: { width: image.width, height: image.height, channels: image.channels } };
}
