// A JPEG's header (SOI … SOS) parsed without decoding: the frame's size, components, sampling and MCU,
// and the restart interval. NDPI cuts levels into tiles with it; the libjpeg-turbo codec checks a stream's
// size against what the caller expects before any pixel memory is spent.
import { SlideError } from '../slide-errors.js';

/** Largest header (SOI…SOS: tables, comments, APPn) accepted; real ones are under 1 KiB. */
export const MAX_JPEG_HEADER_BYTES = 1 << 20;
/** JPEG's own limit on a side in the SOF (libjpeg's JPEG_MAX_DIMENSION). */
export const JPEG_MAX_DIMENSION = 65500;

export interface JpegHeader {
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
export function parseJpegHeader(head: Buffer, describe: string, requireBaseline = true): JpegHeader {
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
