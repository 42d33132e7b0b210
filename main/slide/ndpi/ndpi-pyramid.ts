// The levels OpenSlide lists for an NDPI file: each stored level JPEG, plus the levels derived from it by
// decoding at 1/2, 1/4, 1/8 scale (when its restart interval divides by the factor); a stored level
// replaces a derived one of the same width. Tiles are virtual tiles of several restart intervals
// (virtual-tiles.ts); the stored levels' pass through as standalone JPEGs.
import type { FileSource } from '../file-source.js';
import type { NativeTile } from '../slide-reader.js';
import type { TileGridLevel } from '../tile-grid.js';
import { levelDownsample } from '../tiff/tiff-properties.js';
import type { NdpiJpeg } from './ndpi-level-jpeg.js';
import { decodeVirtualTile, virtualTileGrid, virtualTileJpeg } from './virtual-tiles.js';

/** A level, and the tile size OpenSlide states for it (one restart interval, scaled). */
export interface NdpiLevel {
  grid: TileGridLevel;
  intervalWidth: number;
  intervalHeight: number;
}

/** The pyramid of `jpegs` (the stored level JPEGs, largest first), largest level first. */
export function ndpiPyramid(source: FileSource, jpegs: readonly NdpiJpeg[]): NdpiLevel[] {
  const byWidth = new Map<number, { jpeg: NdpiJpeg; scale: number }>();
  for (const jpeg of jpegs) {
    byWidth.set(jpeg.width, { jpeg, scale: 1 });
    for (const scale of [2, 4, 8]) {
      if (jpeg.tileWidth % scale || jpeg.tileHeight % scale) continue;
      byWidth.set(Math.floor(jpeg.width / scale), { jpeg, scale });
    }
  }
  const chosen = [...byWidth.values()].sort((a, b) => b.jpeg.width / b.scale - a.jpeg.width / a.scale);
  const base = { width: jpegs[0].width, height: jpegs[0].height };
  return chosen.map(({ jpeg, scale }) => {
    const size = { width: Math.floor(jpeg.width / scale), height: Math.floor(jpeg.height / scale) };
    return { grid: ndpiLevel(source, jpeg, scale, levelDownsample(base, size)), intervalWidth: jpeg.tileWidth / scale, intervalHeight: jpeg.tileHeight / scale };
  });
}

/** One level: `jpeg`'s virtual tiles, decoded at 1/`scale`. */
export function ndpiLevel(source: FileSource, jpeg: NdpiJpeg, scale: number, downsample: number): TileGridLevel {
  const grid = virtualTileGrid(jpeg);
  return {
    width: Math.floor(jpeg.width / scale),
    height: Math.floor(jpeg.height / scale),
    downsample,
    tileWidth: grid.tileWidth / scale,
    tileHeight: grid.tileHeight / scale,
    tilesAcross: grid.tilesAcross,
    tilesDown: grid.tilesDown,
    decodeTile: (col, row) => decodeVirtualTile(source, jpeg, grid, col, row, scale),
    async readNativeTile(col: number, row: number): Promise<NativeTile | null> {
      if (scale !== 1) return null;
      return { encoding: 'jpeg', bytes: await virtualTileJpeg(source, jpeg, grid, col, row), width: grid.tileWidth, height: grid.tileHeight };
    },
  };
}
