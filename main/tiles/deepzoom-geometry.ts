// The Deep Zoom pyramid over a slide, computed exactly as OpenSlide's DeepZoomGenerator
// (python-openslide 1.2, limit_bounds=False): level sizes by repeated ceil-halving of level 0,
// tile counts, each tile's rectangle with overlap, and the read_region() OpenSlide would issue.
import { bestLevelForDownsample } from './best-slide-level.js';
import { thumbnailSize } from './thumbnail-size.js';

export interface Size {
  width: number;
  height: number;
}

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface DeepZoomTileInfo {
  level: number;
  col: number;
  row: number;
  /** The tile's pixels in its Deep Zoom level, overlap included. */
  dzRect: Rect;
  /** The size of the tile image OpenSlide returns (normally dzRect's size; see thumbnailSize). */
  outputSize: Size;
  /** OpenSlide's read_region() for this tile: slide level, level-0 origin, size in slide-level pixels. */
  openSlideRegion: { level: number; x: number; y: number; width: number; height: number };
}

export class DeepZoomGeometry {
  readonly levelCount: number;
  /** Pixel size of each Deep Zoom level, level 0 being 1 × 1. */
  readonly levelDimensions: readonly Size[];
  /** Columns × rows of tiles in each Deep Zoom level. */
  readonly levelTiles: readonly { cols: number; rows: number }[];
  /** Level-0 pixels per pixel of each Deep Zoom level (a power of two). */
  readonly levelDownsamples: readonly number[];
  /** The slide level OpenSlide reads each Deep Zoom level from. */
  readonly slideLevelForLevel: readonly number[];

  constructor(
    readonly slideLevels: readonly { width: number; height: number; downsample: number }[],
    readonly tileSize = 254,
    readonly overlap = 1,
  ) {
    if (!Number.isInteger(tileSize) || tileSize < 1) throw new RangeError(`Invalid tile size ${tileSize}`);
    if (!Number.isInteger(overlap) || overlap < 0) throw new RangeError(`Invalid overlap ${overlap}`);
    let size: Size = { width: slideLevels[0].width, height: slideLevels[0].height };
    const dims: Size[] = [size];
    while (size.width > 1 || size.height > 1) {
      size = { width: Math.max(1, Math.ceil(size.width / 2)), height: Math.max(1, Math.ceil(size.height / 2)) };
      dims.push(size);
    }
    this.levelDimensions = dims.reverse();
    this.levelCount = dims.length;
    this.levelTiles = dims.map((d) => ({ cols: Math.ceil(d.width / tileSize), rows: Math.ceil(d.height / tileSize) }));
    this.levelDownsamples = dims.map((_, z) => 2 ** (this.levelCount - z - 1));
    const slideDownsamples = slideLevels.map((l) => l.downsample);
    this.slideLevelForLevel = this.levelDownsamples.map((d) => bestLevelForDownsample(slideDownsamples, d));
  }

  get tileCount(): number {
    return this.levelTiles.reduce((n, t) => n + t.cols * t.rows, 0);
  }

  /** Throws a RangeError for a level or address outside the pyramid. */
  tileInfo(level: number, col: number, row: number): DeepZoomTileInfo {
    if (!Number.isInteger(level) || level < 0 || level >= this.levelCount) {
      throw new RangeError(`Invalid Deep Zoom level ${level} (the pyramid has levels 0–${this.levelCount - 1})`);
    }
    const tiles = this.levelTiles[level];
    if (!Number.isInteger(col) || !Number.isInteger(row) || col < 0 || row < 0 || col >= tiles.cols || row >= tiles.rows) {
      throw new RangeError(`Invalid tile address ${col}_${row} at level ${level} (it has ${tiles.cols} × ${tiles.rows} tiles)`);
    }
    const dims = this.levelDimensions[level];
    const t = this.tileSize;
    const tlx = col !== 0 ? this.overlap : 0;
    const tly = row !== 0 ? this.overlap : 0;
    const brx = col !== tiles.cols - 1 ? this.overlap : 0;
    const bry = row !== tiles.rows - 1 ? this.overlap : 0;
    const zw = Math.min(t, dims.width - t * col) + tlx + brx;
    const zh = Math.min(t, dims.height - t * row) + tly + bry;
    const zx = t * col - tlx;
    const zy = t * row - tly;

    const slideLevel = this.slideLevelForLevel[level];
    const lDown = this.slideLevels[slideLevel].downsample;
    const lzDown = this.levelDownsamples[level] / lDown;
    const lx = lzDown * zx;
    const ly = lzDown * zy;
    const lLevel = this.slideLevels[slideLevel];
    const lw = Math.trunc(Math.min(Math.ceil(lzDown * zw), lLevel.width - Math.ceil(lx)));
    const lh = Math.trunc(Math.min(Math.ceil(lzDown * zh), lLevel.height - Math.ceil(ly)));
    return {
      level,
      col,
      row,
      dzRect: { x: zx, y: zy, width: zw, height: zh },
      outputSize: thumbnailSize(lw, lh, zw, zh),
      openSlideRegion: { level: slideLevel, x: Math.trunc(lDown * lx), y: Math.trunc(lDown * ly), width: lw, height: lh },
    };
  }
}
