// Reads grid patches as RGB at the grid's magnification: from the pyramid level just finer than the target,
// resized with sharp. Pixels outside the slide come out white (as glass).
import sharp from 'sharp';
import type { PatchGrid } from '../contracts/embeddings.js';
import type { SlideReader } from '../slide/slide-reader.js';

/** The coarsest level whose pixels are at least as fine as the grid's (never upsample; 1% slack). */
export function levelForGrid(reader: Pick<SlideReader, 'levels'>, grid: PatchGrid): number {
  const wanted = grid.level0Size / grid.patchSize; // level-0 px per patch px
  let best = 0;
  reader.levels.forEach((l, i) => {
    if (l.downsample <= wanted * 1.01 && l.downsample > reader.levels[best].downsample) best = i;
  });
  return best;
}

/** RGBA → RGB over white, into `out` at `offset`. Opaque pixels (nearly all) take a branch-free copy. */
function flattenRgba(rgba: Buffer | Uint8Array, pixels: number, out: Uint8Array, offset: number): void {
  let minAlpha = 255;
  for (let p = 0, i = 0, o = offset; p < pixels; p++, i += 4, o += 3) {
    out[o] = rgba[i];
    out[o + 1] = rgba[i + 1];
    out[o + 2] = rgba[i + 2];
    minAlpha &= rgba[i + 3] === 255 ? 255 : 0;
  }
  if (minAlpha === 255) return;
  for (let p = 0, i = 0, o = offset; p < pixels; p++, i += 4, o += 3) {
    const a = rgba[i + 3];
    if (a === 255) continue;
    const k = a / 255;
    const w = 255 * (1 - k);
    out[o] = rgba[i] * k + w;
    out[o + 1] = rgba[i + 1] * k + w;
    out[o + 2] = rgba[i + 2] * k + w;
  }
}

export class PatchReader {
  readonly level: number;
  /** Patch side in pixels of `level`. */
  readonly levelSize: number;

  constructor(
    private readonly reader: SlideReader,
    readonly grid: PatchGrid,
  ) {
    this.level = levelForGrid(reader, grid);
    this.levelSize = Math.max(1, Math.round(grid.level0Size / reader.levels[this.level].downsample));
  }

  /** Writes the patch at level-0 (x, y) as patchSize² × 3 RGB bytes into `out` at byte `offset`. */
  async read(x: number, y: number, out: Uint8Array, offset = 0): Promise<void> {
    const n = this.grid.patchSize;
    const region = await this.reader.readRegion(this.level, x, y, this.levelSize, this.levelSize);
    if (this.levelSize === n) {
      flattenRgba(region.data, n * n, out, offset);
      return;
    }
    const rgb = await sharp(region.data, { raw: { width: region.width, height: region.height, channels: region.channels } })
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .resize(n, n, { kernel: this.levelSize > n ? 'linear' : 'cubic', fit: 'fill' })
      .raw()
      .toBuffer();
    if (rgb.length !== n * n * 3) throw new Error(`patch resize gave ${rgb.length} bytes, expected ${n * n * 3}`);
    out.set(rgb, offset);
  }
}
