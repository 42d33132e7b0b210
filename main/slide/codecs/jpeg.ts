// JPEG: TIFF abbreviated streams made whole (shared JPEGTables spliced in), decoded by libjpeg-turbo
// directly (libjpeg-turbo.ts), or by sharp where that declines the stream.
import sharp from 'sharp';
import { decodeWithLibjpegTurbo } from './libjpeg-turbo.js';
import { SlideError } from '../slide-errors.js';
import { toRgba, type RgbaImage } from './rgba.js';

const SOI = 0xd8;
const EOI = 0xd9;

// APP14 "Adobe", version 100, flags 0, transform 0: "these 3 components are RGB, not YCbCr".
const ADOBE_RGB_MARKER = Buffer.from([0xff, 0xee, 0x00, 0x0e, 0x41, 0x64, 0x6f, 0x62, 0x65, 0x00, 0x64, 0, 0, 0, 0, 0]);

/**
 * A complete, standalone JPEG from a TIFF tile/strip and its directory's JPEGTables (TIFF Technical Note 2):
 * tables = SOI, DQT/DHT…, EOI; piece = SOI, SOF, SOS… EOI. Result = tables minus EOI + piece minus SOI.
 * `rgb` (TIFF Photometric RGB): the components are R, G, B as libtiff tells libjpeg, but Aperio's streams
 * carry no marker saying so (ids 0,1,2, no Adobe/JFIF), and any decoder would then assume YCbCr and
 * shift every colour. An Adobe transform-0 marker makes the stream say RGB for sharp and browsers alike.
 */
export function completeTiffJpeg(tables: Buffer | undefined, piece: Buffer, rgb: boolean): Buffer {
  return Buffer.concat([...streamHead(tables, piece, rgb), piece.subarray(2)]);
}

/** Bytes to leave free before a TIFF JPEG piece so that completeTiffJpegInPlace can write its head there. */
export function tiffJpegHeadroom(tables: Buffer | undefined): number {
  return (tables?.length ?? 0) + ADOBE_RGB_MARKER.length;
}

/**
 * completeTiffJpeg without a second buffer: `buffer` holds the piece at `headroom` (tiffJpegHeadroom(tables)
 * bytes, read there by the caller); the tables are written just before the piece's data, and the complete
 * stream is a view of `buffer`. One allocation and no copy of the piece per stored tile.
 */
export function completeTiffJpegInPlace(tables: Buffer | undefined, buffer: Buffer, headroom: number, rgb: boolean): Buffer {
  const piece = buffer.subarray(headroom);
  const head = streamHead(tables, piece, rgb);
  let at = headroom + 2 - head.reduce((n, b) => n + b.length, 0);
  if (at < 0) throw new RangeError(`${headroom} bytes of headroom cannot hold this JPEG's tables`);
  const start = at;
  for (const part of head) at += part.copy(buffer, at);
  return buffer.subarray(start);
}

/** What comes before a piece's data (after its SOI) in the complete stream: SOI, colour marker, tables. */
function streamHead(tables: Buffer | undefined, piece: Buffer, rgb: boolean): Buffer[] {
  if (!isJpegStart(piece)) throw new SlideError('corrupt', 'A JPEG tile does not start with a JPEG marker');
  const parts: Buffer[] = [];
  if (tables && tables.length >= 4) {
    if (!isJpegStart(tables)) throw new SlideError('corrupt', 'The shared JPEG tables are not a JPEG stream');
    const tablesEnd = tables[tables.length - 2] === 0xff && tables[tables.length - 1] === EOI ? tables.length - 2 : tables.length;
    parts.push(tables.subarray(0, 2));
    if (rgb && !hasColourMarker(tables) && !hasColourMarker(piece)) parts.push(ADOBE_RGB_MARKER);
    parts.push(tables.subarray(2, tablesEnd));
  } else {
    parts.push(piece.subarray(0, 2));
    if (rgb && !hasColourMarker(piece)) parts.push(ADOBE_RGB_MARKER);
  }
  return parts;
}

/** True when the header (up to SOS) has a JFIF (APP0) or Adobe (APP14) marker, which decide colour themselves. */
function hasColourMarker(stream: Buffer): boolean {
  let i = 2;
  while (i + 4 <= stream.length && stream[i] === 0xff) {
    const marker = stream[i + 1];
    if (marker === 0xda || marker === EOI) return false;
    if (marker === 0xe0 || marker === 0xee) return true;
    i += 2 + stream.readUInt16BE(i + 2);
  }
  return false;
}

function isJpegStart(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0xff && b[1] === SOI;
}

/**
 * Decodes a complete JPEG to RGBA. Errors from libjpeg become SlideErrors. `maxPixels` (the tile's size)
 * stops a corrupt header that claims a huge image before any memory is spent on it.
 */
export async function decodeJpeg(stream: Buffer, maxPixels: number): Promise<RgbaImage> {
  const fast = await decodeWithLibjpegTurbo(stream, Math.max(1, maxPixels), 4);
  if (fast) return { data: fast.data, width: fast.width, height: fast.height, channels: 4 };
  try {
    const { data, info } = await sharp(stream, { failOn: 'error', limitInputPixels: Math.max(1, maxPixels) })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    return toRgba(data, info.width, info.height, info.channels);
  } catch (err) {
    if (err instanceof SlideError) throw err;
    throw new SlideError('corrupt', `A JPEG tile could not be decoded: ${(err as Error).message}`);
  }
}
