// A TIFF directory as a pyramid level: tiles (or strips) read with bounds checks and decoded to RGBA.
import type { RgbaImage } from '../codecs/rgba.js';
import { completeTiffJpegInPlace, tiffJpegHeadroom } from '../codecs/jpeg.js';
import type { NativeTile } from '../slide-reader.js';
import { SlideError } from '../slide-errors.js';
import type { TileGridLevel } from '../tile-grid.js';
import { associatedImageOfLevel, type AssociatedImageSource } from '../tiled-slide.js';
import { decodeTiffPiece, SUPPORTED_COMPRESSIONS } from './decode-tiff-piece.js';
import type { TiffFile } from './tiff-file.js';
import { readTiffPiece, type TiffImage } from './tiff-image.js';
import { Compression, Photometric } from './tiff-tags.js';

export function tiffLevel(file: TiffFile, image: TiffImage, downsample: number): TileGridLevel {
  checkDecodable(file, image);
  return {
    width: image.width,
    height: image.height,
    downsample,
    tileWidth: image.tileWidth,
    tileHeight: image.tileHeight,
    tilesAcross: image.tilesAcross,
    tilesDown: image.tilesDown,
    async decodeTile(col: number, row: number): Promise<RgbaImage> {
      return decodeTiffPiece(image, await readTiffPiece(file, image, col, row), row);
    },
    async readNativeTile(col: number, row: number): Promise<NativeTile | null> {
      if (image.compression !== Compression.JPEG || !image.tiled) return null;
      // Read with room for the shared tables in front: the complete stream is made in the same buffer.
      const headroom = tiffJpegHeadroom(image.jpegTables);
      const piece = await readTiffPiece(file, image, col, row, headroom);
      const bytes = completeTiffJpegInPlace(image.jpegTables, piece, headroom, image.photometric === Photometric.RGB);
      return { encoding: 'jpeg', bytes, width: image.tileWidth, height: image.tileHeight };
    },
  };
}

/** A whole (usually stripped) image decoded at once: thumbnail, label, macro. */
export function tiffAssociatedImage(file: TiffFile, image: TiffImage, name: string): AssociatedImageSource {
  return associatedImageOfLevel(name, tiffLevel(file, image, 1));
}

function checkDecodable(file: TiffFile, image: TiffImage): void {
  if (!SUPPORTED_COMPRESSIONS.has(image.compression)) {
    throw new SlideError('unsupported-feature', `${file.source.path} uses TIFF compression ${image.compression}, which Tessera cannot decode`);
  }
}
