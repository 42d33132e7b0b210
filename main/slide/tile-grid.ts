// How one pyramid level is cut into tiles (OpenSlide's "simple grid"): what a format driver provides
// per level so the engine can compose regions from tiles. NDPI/DICOM add their own implementation.
import type { RgbaImage } from './codecs/rgba.js';
import type { NativeTile, SlideLevel } from './slide-reader.js';

export interface TileGridLevel extends SlideLevel {
  tilesAcross: number;
  tilesDown: number;
  /** Tile (col, row) decoded: tileWidth wide, tileHeight tall (a last strip may be shorter). */
  decodeTile(col: number, row: number): Promise<RgbaImage>;
  /** The tile's compressed bytes when they can be served as-is, else null. */
  readNativeTile(col: number, row: number): Promise<NativeTile | null>;
}
