// An NDPI level's tiles as Tessera serves them: virtual tiles of several restart intervals each. An
// interval alone is a poor tile (test3-DAPI.ndpi's are 3968 × 8: a 254-px Deep Zoom tile would need 33 of
// them, each its own JPEG decode at ~0.5 ms of fixed cost, against ~0.1 ms of actual decoding), so a
// virtual tile joins a block of `across` × `down` intervals into one JPEG (`splicedJpeg`: the level's
// header with the SOF size patched, the intervals' bytes in the block's raster order, markers renumbered)
// that one libjpeg call decodes. Restart intervals reset the DC predictors and start byte-aligned, so each
// decodes to the same pixels inside the block as alone, except where libjpeg upsamples chroma across a
// join: intervals are joined across (down) only when every component has the same horizontal (vertical)
// sampling factor. Blocks past the level's last interval row or column repeat that last interval (pixels
// outside the level, never shown), so every virtual tile has the full size.
import type { RgbaImage } from '../codecs/rgba.js';
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import { JPEG_MAX_DIMENSION } from '../codecs/jpeg-header.js';
import { decodeJpegScaled, splicedJpeg } from './ndpi-jpeg.js';
import { intervalRunData, type NdpiJpeg } from './ndpi-level-jpeg.js';

/** A virtual tile's side is kept to about this (a Deep Zoom tile of 254 + 2 px then needs a handful)… */
const MAX_SIDE = 512;
/** …and its pixels to this (1 MiB of RGBA), so wide intervals (a 3968-px row) make short tiles. */
const MAX_PIXELS = 1 << 18;

/** How a level's restart intervals are grouped into virtual tiles. */
export interface VirtualTileGrid {
  /** Intervals per virtual tile, across and down. */
  across: number;
  down: number;
  /** Virtual tile size in the stored JPEG's pixels, and how many there are. */
  tileWidth: number;
  tileHeight: number;
  tilesAcross: number;
  tilesDown: number;
}

export function virtualTileGrid(jpeg: NdpiJpeg): VirtualTileGrid {
  const { tileWidth: tw, tileHeight: th, header } = jpeg;
  // At most n per virtual tile, then evened out so that the last one is not mostly padding.
  const fit = (n: number, side: number, count: number) => {
    const most = Math.max(1, Math.min(count, n, Math.floor(JPEG_MAX_DIMENSION / side)));
    return Math.ceil(count / Math.ceil(count / most));
  };
  const across = header.sameSampling.across ? fit(Math.floor(MAX_SIDE / tw), tw, jpeg.tilesAcross) : 1;
  const down = header.sameSampling.down ? fit(Math.floor(Math.min(MAX_SIDE / th, MAX_PIXELS / (across * tw * th))), th, jpeg.tilesDown) : 1;
  return {
    across,
    down,
    tileWidth: across * tw,
    tileHeight: down * th,
    tilesAcross: Math.ceil(jpeg.tilesAcross / across),
    tilesDown: Math.ceil(jpeg.tilesDown / down),
  };
}

/** Virtual tile (col, row) as one standalone JPEG of tileWidth × tileHeight. */
export async function virtualTileJpeg(source: FileSource, jpeg: NdpiJpeg, grid: VirtualTileGrid, col: number, row: number): Promise<Buffer> {
  const A = jpeg.tilesAcross;
  const c0 = col * grid.across;
  const r0 = row * grid.down;
  const cols = Math.min(grid.across, A - c0);
  const rows = Math.min(grid.down, jpeg.tilesDown - r0);
  let pieceRows: Buffer[][];
  if (cols === A) {
    // Whole interval rows are one stretch of the stream: one read.
    const run = await intervalRunData(source, jpeg, r0 * A, (r0 + rows) * A - 1);
    pieceRows = Array.from({ length: rows }, (_, r) => run.slice(r * A, (r + 1) * A));
  } else {
    pieceRows = await Promise.all(Array.from({ length: rows }, (_, r) => intervalRunData(source, jpeg, (r0 + r) * A + c0, (r0 + r) * A + c0 + cols - 1)));
  }
  // Pad to the full block by repeating the last interval of each row, then the last row.
  const pieces: Buffer[] = [];
  for (let r = 0; r < grid.down; r++) {
    const pieceRow = pieceRows[Math.min(r, rows - 1)];
    for (let c = 0; c < grid.across; c++) pieces.push(pieceRow[Math.min(c, cols - 1)]);
  }
  return splicedJpeg(jpeg.header, pieces, grid.tileWidth, grid.tileHeight);
}

/** Virtual tile (col, row) decoded at 1/`scale` (1, 2, 4, 8; see `decodeJpegScaled`) to RGBA. */
export async function decodeVirtualTile(source: FileSource, jpeg: NdpiJpeg, grid: VirtualTileGrid, col: number, row: number, scale: number): Promise<RgbaImage> {
  const describe = `${source.path}: tile ${col},${row} of NDPI directory ${jpeg.index}`;
  const stream = await virtualTileJpeg(source, jpeg, grid, col, row);
  const tile = await decodeJpegScaled(stream, grid.tileWidth, grid.tileHeight, scale, describe);
  const want = { width: grid.tileWidth / scale, height: grid.tileHeight / scale };
  if (tile.width !== want.width || tile.height !== want.height) {
    throw new SlideError('corrupt', `${describe} decoded to ${tile.width}×${tile.height} pixels where ${want.width}×${want.height} were expected`);
  }
  return tile;
}
