// One NDPI level is one baseline JPEG, often too large for a decoder in one go. Its restart intervals
// (runs of MCUs between RST markers) can be cut out as standalone JPEGs: the level's header (SOI…SOS, the
// SOF's size patched) and the intervals' entropy-coded bytes, the last trailing RSTn turned into EOI.
// OpenSlide makes each interval a tile (`tileJpeg`); Tessera joins several (`splicedJpeg`,
// virtual-tiles.ts). Decoding either never touches the rest of the level. Also the header parser, the
// decoder's 1/2, 1/4, 1/8 scaling, and the restart-marker scan.
import sharp from 'sharp';
import { toRgba, type RgbaImage } from '../codecs/rgba.js';
import { SlideError } from '../slide-errors.js';

/** Largest header (SOI…SOS: tables, comments, APPn) accepted; real ones are under 1 KiB. */
export const MAX_JPEG_HEADER_BYTES = 1 << 20;
/** JPEG's own limit on a side in the SOF (libjpeg's JPEG_MAX_DIMENSION). */
export const JPEG_MAX_DIMENSION = 65500;

export interface NdpiJpegHeader {
  /** The bytes from SOI through the end of the SOS segment. */
  bytes: Buffer;
  /** Offset of the SOF marker within `bytes`. */
  sofAt: number;
  /** Size as the SOF states it (0 or wrong in some huge NDPI levels: the TIFF size wins then). */
  width: number;
  height: number;
  components: number;
  /** MCU size in pixels: 8 × the largest sampling factors (8 × 8 for one component, as libjpeg). */
  mcuWidth: number;
  mcuHeight: number;
  /** DRI's restart interval in MCUs; 0 when the stream has no restart markers. */
  restartInterval: number;
  /**
   * Whether every component has the same horizontal (vertical) sampling factor: then no chroma is
   * upsampled across that direction, so intervals joined that way decode to the same pixels as alone.
   */
  sameSampling: { across: boolean; down: boolean };
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
const BASELINE_SOF = new Set([0xc0, 0xc1]);

/**
 * Parses a JPEG header from `head` (the stream's first bytes). `describe` names the stream in messages.
 * Throws a SlideError when the header is malformed, not baseline Huffman, or runs past `head`.
 */
export function parseJpegHeader(head: Buffer, describe: string, requireBaseline = true): NdpiJpegHeader {
  const fail = (why: string): never => {
    throw new SlideError('corrupt', `${describe} is not a readable JPEG: ${why}`);
  };
  if (head.length < 4 || head[0] !== 0xff || head[1] !== 0xd8) fail('it does not start with SOI');
  let at = 2;
  let sof: { at: number; marker: number } | null = null;
  let width = 0;
  let height = 0;
  let components = 0;
  let maxH = 1;
  let maxV = 1;
  let restartInterval = 0;
  const factors = { h: new Set<number>(), v: new Set<number>() };
  for (;;) {
    if (at + 4 > head.length) fail(`its header runs past ${head.length} bytes without a start of scan`);
    if (head[at] !== 0xff) fail(`expected a marker at byte ${at}`);
    const marker = head[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0xd9 || (marker >= 0xd0 && marker <= 0xd7)) fail(`unexpected marker 0x${marker.toString(16)} in the header`);
    const length = head.readUInt16BE(at + 2);
    if (length < 2 || at + 2 + length > head.length) fail(`marker 0x${marker.toString(16)} at byte ${at} has a bad length`);
    const body = head.subarray(at + 4, at + 2 + length);
    if (SOF_MARKERS.has(marker)) {
      if (sof) fail('it has two frame headers');
      if (requireBaseline && !BASELINE_SOF.has(marker)) {
        throw new SlideError('unsupported-feature', `${describe} is a non-baseline JPEG (SOF 0x${marker.toString(16)}), which cannot be cut into tiles`);
      }
      if (body.length < 6) fail('its frame header is short');
      if (body[0] !== 8) throw new SlideError('unsupported-feature', `${describe} has ${body[0]}-bit samples (8-bit only)`);
      height = body.readUInt16BE(1);
      width = body.readUInt16BE(3);
      components = body[5];
      if ((components !== 1 && components !== 3) || body.length < 6 + 3 * components) fail(`it has ${components} colour components`);
      for (let c = 0; c < components; c++) {
        const h = body[6 + c * 3 + 1] >> 4;
        const v = body[6 + c * 3 + 1] & 15;
        if (h < 1 || h > 4 || v < 1 || v > 4) fail('it has invalid sampling factors');
        maxH = Math.max(maxH, h);
        maxV = Math.max(maxV, v);
        factors.h.add(h);
        factors.v.add(v);
      }
      sof = { at, marker };
    } else if (marker === 0xdd) {
      if (body.length < 2) fail('its restart interval segment is short');
      restartInterval = body.readUInt16BE(0);
    }
    at += 2 + length;
    if (marker === 0xda) break;
  }
  if (!sof) fail('it reaches the start of scan without a frame header');
  const found = sof as { at: number; marker: number };
  const single = components === 1;
  return {
    bytes: head.subarray(0, at),
    sofAt: found.at,
    width,
    height,
    components,
    mcuWidth: single ? 8 : maxH * 8,
    mcuHeight: single ? 8 : maxV * 8,
    restartInterval,
    sameSampling: { across: single || factors.h.size === 1, down: single || factors.v.size === 1 },
  };
}

/**
 * A standalone JPEG of `tileWidth` × `tileHeight` from the level's header and one restart interval's
 * entropy-coded bytes (`data`, ending with its RSTn marker or the stream's EOI): OpenSlide's NDPI tile,
 * the reference virtual tiles are checked against.
 */
export function tileJpeg(header: NdpiJpegHeader, data: Buffer, tileWidth: number, tileHeight: number, describe: string): Buffer {
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
export function splicedJpeg(header: NdpiJpegHeader, pieces: readonly Buffer[], width: number, height: number): Buffer {
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
