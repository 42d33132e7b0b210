// Reads grid patches as RGB at the grid's magnification. Pixels outside the slide come out white (as glass).
//
// Fast path (levels stored as JPEG tiles: Aperio, most DICOM): a patch is cut straight out of the RGB tiles
// of the slide's handle (slide/slide-handle.ts: the one decoded-tile cache the Deep Zoom tiles use too, so a
// stored tile is decoded once whoever reads it; sharp costs ~1 ms a call whatever the tile, so the cache,
// not the decoder, is what saves time) and, for coarser magnifications, from the handle's tiles box-shrunk
// by 2, 4 or 8 once (a "virtual level": cheaper than a libvips resize per patch, and than JPEG
// shrink-on-load, whose per-call cost is the same as a full decode at these tile sizes). No RGBA, no alpha
// flattening, one copy per row. Other levels (JPEG 2000, deflate…): readRegion (the same cache), flattened
// over white and resized with sharp.
import sharp from 'sharp';
import type { PatchGrid } from '../contracts/embeddings.js';
import { handleOf, type SlideHandle } from '../slide/slide-handle.js';
import type { SlideReader } from '../slide/slide-reader.js';

/** The coarsest level whose pixels are at least as fine as the grid's (never upsample; 1% slack). */
export function levelForGrid(reader: Pick<SlideReader, 'levels'>, grid: PatchGrid): number {
  return sourceForGrid(reader, grid, [1]).level;
}

/**
 * The coarsest (level, shrink) — `shrink` a power of two dividing the level's tile size — whose pixels are at
 * least as fine as the grid's (never upsample; 1% slack); at equal scale, the stored level over a shrunk finer one.
 */
export function sourceForGrid(reader: Pick<SlideReader, 'levels'>, grid: PatchGrid, shrinks: readonly number[] = [1, 2, 4, 8]): { level: number; shrink: number } {
  const wanted = grid.level0Size / grid.patchSize; // level-0 px per patch px
  let best = { level: 0, shrink: 1, ds: reader.levels[0].downsample };
  reader.levels.forEach((l, level) => {
    for (const shrink of shrinks) {
      if (shrink > 1 && (l.tileWidth % shrink !== 0 || l.tileHeight % shrink !== 0)) continue;
      const ds = l.downsample * shrink;
      // A stored level at the same scale as a finer level shrunk beats it: a quarter of the pixels to decode.
      const tie = Math.abs(ds - best.ds) <= 1e-6 * ds && shrink < best.shrink;
      if (ds <= wanted * 1.01 && (ds > best.ds * (1 + 1e-6) || tie)) best = { level, shrink, ds };
    }
  });
  return { level: best.level, shrink: best.shrink };
}

/** RGBA → RGB over white, into `out` at `offset`. Opaque pixels (nearly all) take a branch-free copy. */
export function flattenRgba(rgba: Buffer | Uint8Array, pixels: number, out: Uint8Array, offset: number): void {
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
  /** Power-of-two reduction applied to `level` (fast path only; 1 on the readRegion path). */
  readonly shrink: number;
  /** Patch side in pixels of `level` reduced by `shrink`. */
  readonly levelSize: number;
  /** The level the readRegion path (no JPEG tiles) reads. */
  private readonly regionLevel: number;
  private readonly handle: SlideHandle;

  constructor(
    private readonly reader: SlideReader,
    readonly grid: PatchGrid,
  ) {
    this.handle = handleOf(reader);
    const src = sourceForGrid(reader, grid);
    this.level = src.level;
    this.shrink = src.shrink;
    this.regionLevel = levelForGrid(reader, grid);
    this.levelSize = Math.max(1, Math.round(grid.level0Size / (reader.levels[this.level].downsample * this.shrink)));
  }

  /** Writes the patch at level-0 (x, y) as patchSize² × 3 RGB bytes into `out` at byte `offset`. */
  async read(x: number, y: number, out: Uint8Array, offset = 0): Promise<void> {
    if (await this.fastPath()) return this.readFromTiles(x, y, out, offset);
    return this.readFromRegion(x, y, out, offset);
  }

  /** Reads patches [n·2] level-0 corners into `out` (n × patchSize² × 3 bytes), patch after patch. */
  async readBatch(coords: Int32Array, out: Uint8Array): Promise<void> {
    const bytes = this.grid.patchSize ** 2 * 3;
    const reads: Promise<void>[] = [];
    for (let i = 0; 2 * i < coords.length; i++) reads.push(this.read(coords[2 * i], coords[2 * i + 1], out, i * bytes));
    await Promise.all(reads);
  }

  private fastPath(): Promise<boolean> {
    return this.handle.isJpegLevel(this.level);
  }

  /** RGB tile (col, row) of `level` reduced by `shrink`: (tileWidth/shrink) × (tileHeight/shrink) × 3, from the slide's handle. */
  private tile(col: number, row: number, shrink: number): Promise<Buffer> {
    return this.handle.rgbTile(this.level, col, row, shrink);
  }

  private async readFromTiles(x: number, y: number, out: Uint8Array, offset: number): Promise<void> {
    const n = this.grid.patchSize;
    const s = this.shrink;
    const l = this.reader.levels[this.level];
    const ds = l.downsample * s;
    const size = this.levelSize;
    // Virtual level: the level reduced by s (partial pixels at its right/bottom edge count as outside).
    const vw = Math.floor(l.width / s);
    const vh = Math.floor(l.height / s);
    const tw = l.tileWidth / s;
    const th = l.tileHeight / s;
    const ix = Math.round(x / ds);
    const iy = Math.round(y / ds);
    const direct = size === n;
    const dst = direct ? out : new Uint8Array(size * size * 3);
    const base = direct ? offset : 0;
    const x0 = Math.max(ix, 0);
    const y0 = Math.max(iy, 0);
    const x1 = Math.min(ix + size, vw);
    const y1 = Math.min(iy + size, vh);
    if (x0 > ix || y0 > iy || x1 < ix + size || y1 < iy + size) dst.fill(255, base, base + size * size * 3);
    const jobs: Promise<void>[] = [];
    for (let row = Math.floor(y0 / th); row * th < y1; row++) {
      for (let col = Math.floor(x0 / tw); col * tw < x1; col++) {
        jobs.push(
          this.tile(col, row, s).then((tile) => {
            const sx0 = Math.max(col * tw, x0);
            const sy0 = Math.max(row * th, y0);
            const sx1 = Math.min((col + 1) * tw, x1);
            const sy1 = Math.min((row + 1) * th, y1);
            if (sx0 >= sx1 || sy0 >= sy1) return;
            const rowBytes = (sx1 - sx0) * 3;
            for (let sy = sy0; sy < sy1; sy++) {
              const src = ((sy - row * th) * tw + (sx0 - col * tw)) * 3;
              tile.copy(dst, base + ((sy - iy) * size + (sx0 - ix)) * 3, src, src + rowBytes);
            }
          }),
        );
      }
    }
    await Promise.all(jobs);
    if (direct) return;
    const rgb = await sharp(dst, { raw: { width: size, height: size, channels: 3 } })
      .resize(n, n, { kernel: size > n ? 'linear' : 'cubic', fit: 'fill' })
      .raw()
      .toBuffer();
    if (rgb.length !== n * n * 3) throw new Error(`patch resize gave ${rgb.length} bytes, expected ${n * n * 3}`);
    out.set(rgb, offset);
  }

  private async readFromRegion(x: number, y: number, out: Uint8Array, offset: number): Promise<void> {
    const n = this.grid.patchSize;
    const level = this.regionLevel;
    const size = Math.max(1, Math.round(this.grid.level0Size / this.reader.levels[level].downsample));
    const region = await this.reader.readRegion(level, x, y, size, size);
    if (size === n) {
      flattenRgba(region.data, n * n, out, offset);
      return;
    }
    const rgb = await sharp(region.data, { raw: { width: region.width, height: region.height, channels: region.channels } })
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .resize(n, n, { kernel: size > n ? 'linear' : 'cubic', fit: 'fill' })
      .raw()
      .toBuffer();
    if (rgb.length !== n * n * 3) throw new Error(`patch resize gave ${rgb.length} bytes, expected ${n * n * 3}`);
    out.set(rgb, offset);
  }
}
