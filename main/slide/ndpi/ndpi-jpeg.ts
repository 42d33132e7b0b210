// One NDPI level is one baseline JPEG, often too large for a decoder in one go. Its restart intervals
// (runs of MCUs between RST markers) can be cut out as standalone JPEGs: the level's header (SOI…SOS, the
// SOF's size patched) and the intervals' entropy-coded bytes, the last trailing RSTn turned into EOI.
// OpenSlide makes each interval a tile (`tileJpeg`); Tessera joins several (`splicedJpeg`,
// virtual-tiles.ts). Decoding either never touches the rest of the level. Also the decoder's 1/2, 1/4,
// 1/8 scaling and the restart-marker scan (the header parser is codecs/jpeg-header.ts).
import sharp from 'sharp';
import { toRgba, type RgbaImage } from '../codecs/rgba.js';
import { decodeWithLibjpegTurbo } from '../codecs/libjpeg-turbo.js';
import { SlideError } from '../slide-errors.js';
import type { JpegHeader } from '../codecs/jpeg-header.js';

/**
 * A standalone JPEG of `tileWidth` × `tileHeight` from the level's header and one restart interval's
 * entropy-coded bytes (`data`, ending with its RSTn marker or the stream's EOI): OpenSlide's NDPI tile,
 * the reference virtual tiles are checked against.
 */
export function tileJpeg(header: JpegHeader, data: Buffer, tileWidth: number, tileHeight: number, describe: string): Buffer {
  if (data.length < 2 || data[data.length - 2] !== 0xff) {
    throw new SlideError('corrupt', `${describe}: its entropy-coded data does not end with a restart marker or EOI`);
  }
  return splicedJpeg(header, [data], tileWidth, tileHeight);
}

/**
 * One JPEG of `width` × `height` from the level's header and several restart intervals' bytes, each
 * ending with a marker (checked by the caller), in the new image's raster order. Each trailing marker
 * is renumbered RST0, RST1, … (mod 8) as libjpeg expects them from the stream's start, the last made
 * EOI: any run of intervals can start the image, not only one whose marker number is 0.
 */
export function splicedJpeg(header: JpegHeader, pieces: readonly Buffer[], width: number, height: number): Buffer {
  let length = header.bytes.length;
  for (const piece of pieces) length += piece.length;
  const out = Buffer.allocUnsafe(length);
  header.bytes.copy(out, 0);
  out.writeUInt16BE(height, header.sofAt + 5);
  out.writeUInt16BE(width, header.sofAt + 7);
  let at = header.bytes.length;
  pieces.forEach((piece, i) => {
    piece.copy(out, at);
    at += piece.length;
    out[at - 1] = i === pieces.length - 1 ? 0xd9 : 0xd0 + (i % 8);
  });
  return out;
}

/**
 * Decodes a JPEG to RGBA, scaled by 1/`scale` (1, 2, 4 or 8): OpenSlide makes NDPI's extra small levels
 * with libjpeg's DCT scaling (scale_denom), which sharp does not expose for exact factors; the mean of
 * each scale × scale block of the full decode is what that scaling approximates (exactly so, before
 * rounding and clamping, for 1/8: the DC term).
 */
export async function decodeJpegScaled(stream: Buffer, width: number, height: number, scale: number, describe: string): Promise<RgbaImage> {
  // libjpeg's own DCT scaling where a TurboJPEG library is loaded (what OpenSlide does), else the means.
  const scaled = await decodeWithLibjpegTurbo(stream, Math.max(1, width * height), 4, scale);
  if (scaled) return { data: scaled.data, width: scaled.width, height: scaled.height, channels: 4 };
  let full: RgbaImage;
  try {
    const { data, info } = await sharp(stream, { failOn: 'error', limitInputPixels: Math.max(1, width * height) })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    full = toRgba(data, info.width, info.height, info.channels);
  } catch (err) {
    if (err instanceof SlideError) throw err;
    throw new SlideError('corrupt', `${describe} could not be decoded: ${(err as Error).message}`);
  }
  return scale === 1 ? full : boxShrink(full, scale);
}

/** Each output pixel is the rounded mean of a scale × scale block (partial blocks at the edges: of what there is). */
export function boxShrink(image: RgbaImage, scale: number): RgbaImage {
  const width = Math.ceil(image.width / scale);
  const height = Math.ceil(image.height / scale);
  const out = Buffer.allocUnsafe(width * height * 4);
  const sums = new Uint32Array(4);
  for (let y = 0; y < height; y++) {
    const y1 = Math.min(image.height, (y + 1) * scale);
    for (let x = 0; x < width; x++) {
      const x1 = Math.min(image.width, (x + 1) * scale);
      sums.fill(0);
      let n = 0;
      for (let sy = y * scale; sy < y1; sy++) {
        for (let sx = x * scale, i = (sy * image.width + sx) * 4; sx < x1; sx++, i += 4, n++) {
          sums[0] += image.data[i];
          sums[1] += image.data[i + 1];
          sums[2] += image.data[i + 2];
          sums[3] += image.data[i + 3];
        }
      }
      const o = (y * width + x) * 4;
      for (let c = 0; c < 4; c++) out[o + c] = Math.floor((sums[c] + (n >> 1)) / n);
    }
  }
  return { data: out, width, height, channels: 4 };
}

/**
 * Offsets (relative to `data`'s start) just after each RSTn marker whose 0xFF lies in data[0, scanLength):
 * in entropy-coded data, the starts of the following intervals. At most `limit` are returned. Stuffed
 * 0xFF00 bytes and fill bytes are not markers.
 */
export function findRestartMarkers(data: Buffer, scanLength: number, limit: number): number[] {
  const starts: number[] = [];
  const end = Math.min(scanLength, data.length - 1);
  for (let i = data.indexOf(0xff); i >= 0 && i < end && starts.length < limit; i = data.indexOf(0xff, i + 1)) {
    const m = data[i + 1];
    if (m >= 0xd0 && m <= 0xd7) starts.push(i + 2);
  }
  return starts;
}
