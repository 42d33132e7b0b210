// Decodes one TIFF tile or strip to RGBA, whatever its compression: the codec is picked by the
// directory's Compression tag, and the result is always tileWidth × (rows of this piece).
import { decodeJpeg, completeTiffJpeg } from '../codecs/jpeg.js';
import { decodeJp2k } from '../codecs/jp2k.js';
import { decodeLzw } from '../codecs/lzw.js';
import { inflateTiffPiece } from '../codecs/deflate.js';
import { toRgba, type RgbaImage } from '../codecs/rgba.js';
import { SlideError } from '../slide-errors.js';
import { Compression, Photometric } from './tiff-tags.js';
import type { TiffImage } from './tiff-image.js';

export const SUPPORTED_COMPRESSIONS: ReadonlySet<number> = new Set([
  Compression.None,
  Compression.LZW,
  Compression.JPEG,
  Compression.AdobeDeflate,
  Compression.Deflate,
  Compression.AperioJp2kYCbCr,
  Compression.AperioJp2kRGB,
]);

/** Rows of piece `row` (strips: the last one may be short; tiles are always full height). */
export function pieceRows(image: TiffImage, row: number): number {
  if (image.tiled) return image.tileHeight;
  return Math.min(image.tileHeight, image.height - row * image.tileHeight);
}

export async function decodeTiffPiece(image: TiffImage, bytes: Buffer, row: number): Promise<RgbaImage> {
  const width = image.tileWidth;
  const rows = pieceRows(image, row);
  let decoded: RgbaImage;
  switch (image.compression) {
    case Compression.JPEG:
      decoded = await decodeJpeg(completeTiffJpeg(image.jpegTables, bytes, image.photometric === Photometric.RGB), width * image.tileHeight);
      break;
    case Compression.AperioJp2kYCbCr:
    case Compression.AperioJp2kRGB:
      decoded = await decodeJp2k(bytes, image.compression === Compression.AperioJp2kYCbCr, width, image.tileHeight);
      break;
    case Compression.None:
    case Compression.LZW:
    case Compression.AdobeDeflate:
    case Compression.Deflate:
      return decodeUncompressedPixels(image, inflate(image, bytes, width * rows * image.samplesPerPixel), width, rows);
    default:
      throw new SlideError('unsupported-feature', `TIFF compression ${image.compression} is not supported`);
  }
  if (decoded.width < width || decoded.height < rows) {
    throw new SlideError('corrupt', `A ${decoded.width}×${decoded.height} tile was decoded where ${width}×${rows} was expected`);
  }
  return decoded.width === width && decoded.height === rows ? decoded : crop(decoded, width, rows);
}

function inflate(image: TiffImage, bytes: Buffer, expected: number): Buffer {
  let raw: Buffer;
  if (image.compression === Compression.LZW) raw = decodeLzw(bytes, expected);
  else if (image.compression === Compression.None) raw = bytes;
  else raw = inflateTiffPiece(bytes, expected);
  if (raw.length < expected) throw new SlideError('corrupt', `A tile holds ${raw.length} bytes of pixels where ${expected} were expected`);
  return raw;
}

function decodeUncompressedPixels(image: TiffImage, raw: Buffer, width: number, rows: number): RgbaImage {
  const spp = image.samplesPerPixel;
  if (image.photometric === Photometric.YCbCr || image.photometric === Photometric.Palette) {
    throw new SlideError('unsupported-feature', `Uncompressed or LZW/Deflate tiles with photometric ${image.photometric} are not supported`);
  }
  // Copy: undoing the predictor in place must not touch a buffer shared with the caller.
  const data = Buffer.from(raw.subarray(0, width * rows * spp));
  if (image.predictor === 2) {
    for (let y = 0; y < rows; y++) {
      const start = y * width * spp;
      for (let i = start + spp; i < start + width * spp; i++) data[i] = (data[i] + data[i - spp]) & 0xff;
    }
  } else if (image.predictor !== 1) {
    throw new SlideError('unsupported-feature', `TIFF predictor ${image.predictor} is not supported`);
  }
  if (image.photometric === Photometric.MinIsWhite) for (let i = 0; i < data.length; i++) data[i] = 255 - data[i];
  return toRgba(data, width, rows, spp);
}

function crop(img: RgbaImage, width: number, rows: number): RgbaImage {
  const out = Buffer.allocUnsafe(width * rows * 4);
  for (let y = 0; y < rows; y++) img.data.copy(out, y * width * 4, y * img.width * 4, y * img.width * 4 + width * 4);
  return { data: out, width, height: rows, channels: 4 };
}
