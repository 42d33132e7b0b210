// Test helper: a small pyramidal JPEG TIFF "slide" tiled with LC25000 lung patches (224 px each, one cell per
// near-duplicate group), at 0.5 µm/px so each cell is exactly one patch of the 0.5 µm/px grid.
import sharp from 'sharp';
import { TiffType, writeTiff, type TiffDirectorySpec } from '../../sample/tiff-writer.js';

export const CELL = 224;
export const MOSAIC_MPP = 0.5;
const TILE = 256;

export interface Mosaic {
  path: string;
  cols: number;
  rows: number;
  /** Source image of each cell, row by row. */
  cells: string[];
}

/** Writes `paths` as a cols-wide mosaic (white where no cell) to `out`. */
export async function writeMosaic(out: string, paths: readonly string[], cols: number): Promise<Mosaic> {
  const rows = Math.ceil(paths.length / cols);
  const width = cols * CELL;
  const height = rows * CELL;
  const base = Buffer.alloc(width * height * 3, 255);
  const pixels = await Promise.all(paths.map((p) => sharp(p).removeAlpha().resize(CELL, CELL).raw().toBuffer()));
  pixels.forEach((px, k) => {
    const cx = (k % cols) * CELL;
    const cy = Math.floor(k / cols) * CELL;
    for (let y = 0; y < CELL; y++) px.copy(base, ((cy + y) * width + cx) * 3, y * CELL * 3, (y + 1) * CELL * 3);
  });
  const directories: TiffDirectorySpec[] = [];
  let level = base;
  let w = width;
  let h = height;
  for (let l = 0; ; l++) {
    const tiles: Promise<Buffer>[] = [];
    const img = level;
    for (let ty = 0; ty < Math.ceil(h / TILE); ty++) {
      for (let tx = 0; tx < Math.ceil(w / TILE); tx++) {
        const tile = Buffer.alloc(TILE * TILE * 3, 255);
        const x0 = tx * TILE;
        const y0 = ty * TILE;
        const cw = Math.min(TILE, w - x0);
        for (let y = 0; y < Math.min(TILE, h - y0); y++) img.copy(tile, y * TILE * 3, ((y0 + y) * w + x0) * 3, ((y0 + y) * w + x0 + cw) * 3);
        tiles.push(sharp(tile, { raw: { width: TILE, height: TILE, channels: 3 } }).jpeg({ quality: 92 }).toBuffer());
      }
    }
    const pxPerCm = Math.round(1e4 / (MOSAIC_MPP * 2 ** l));
    directories.push({
      tags: [
        { tag: 254, type: TiffType.LONG, value: [l === 0 ? 0 : 1] },
        { tag: 256, type: TiffType.LONG, value: [w] },
        { tag: 257, type: TiffType.LONG, value: [h] },
        { tag: 258, type: TiffType.SHORT, value: [8, 8, 8] },
        { tag: 259, type: TiffType.SHORT, value: [7] },
        { tag: 262, type: TiffType.SHORT, value: [6] },
        { tag: 277, type: TiffType.SHORT, value: [3] },
        { tag: 282, type: TiffType.RATIONAL, value: [pxPerCm, 1] },
        { tag: 283, type: TiffType.RATIONAL, value: [pxPerCm, 1] },
        { tag: 284, type: TiffType.SHORT, value: [1] },
        { tag: 296, type: TiffType.SHORT, value: [3] },
        { tag: 322, type: TiffType.LONG, value: [TILE] },
        { tag: 323, type: TiffType.LONG, value: [TILE] },
        { tag: 530, type: TiffType.SHORT, value: [2, 2] },
        ...(l === 0 ? [{ tag: 270, type: TiffType.ASCII, value: `LC25000 lung mosaic ${cols}x${rows} cells; MPP = ${MOSAIC_MPP}` }] : []),
      ],
      pieces: await Promise.all(tiles),
      offsetsTag: 324,
      countsTag: 325,
    });
    if (w <= TILE && h <= TILE) break;
    const nw = Math.ceil(w / 2);
    const nh = Math.ceil(h / 2);
    level = await sharp(img, { raw: { width: w, height: h, channels: 3 } }).resize(nw, nh, { fit: 'fill' }).raw().toBuffer();
    w = nw;
    h = nh;
  }
  await writeTiff(out, directories);
  return { path: out, cols, rows, cells: [...paths] };
}
