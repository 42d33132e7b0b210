// Reads rectangles of Deep Zoom levels as pixels, following the level source plan: 1:1 from a stored
// level, resampled from a finer stored level, or composed from cached blocks derived by halving the next
// finer Deep Zoom level. Results are RGB on white, or RGBA straight from the slide (to be flattened).
import sharp from 'sharp';
import type { RawImage, SlideReader } from '../slide/slide-reader.js';
import { ByteLruCache } from '../common/byte-lru-cache.js';
import type { DeepZoomGeometry, DeepZoomTileInfo, Rect } from './deepzoom-geometry.js';
import type { LevelSource } from './level-source-plan.js';
import { blit, rawDescriptor, whiteRgb } from './raw-pixels.js';

export interface LevelReaderOptions {
  /** Side of the cached blocks of derived levels, in Deep Zoom pixels. */
  blockSize?: number;
  /** Memory bound of the derived-block cache, bytes. */
  blockCacheBytes?: number;
}

const WHITE = { r: 255, g: 255, b: 255 };

/**
 * The level-0 position of stored-level pixel `v`, so that a reader computing v' = x / downsample lands on
 * v exactly (no sub-pixel shift): v · downsample, nudged up where float rounding would fall short.
 * Not a whole number when the downsample is not (2.0005…); read_region positions may be fractional.
 */
export function levelToLevel0(v: number, downsample: number): number {
  let x0 = v * downsample;
  if (x0 / downsample < v) x0 += downsample * 1e-9 * Math.max(1, v);
  return x0;
}

/**
 * The read_region() OpenSlide's DeepZoomGenerator issues for `rect` of a Deep Zoom level read from a
 * stored level at `scale` (the Deep Zoom downsample over the level's real downsample, e.g. 64 / 64.09):
 * level-0 origin truncated to whole pixels, size rounded up and cut at the level's edge. `levelX`/`levelY`
 * are the origin in the level's pixels when that is whole (no sub-pixel shift), else undefined.
 */
export function resampledRegion(
  level: { width: number; height: number; downsample: number },
  scale: number,
  rect: Rect,
): { x0: number; y0: number; width: number; height: number; levelX?: number; levelY?: number } {
  const ds = level.downsample;
  const lx = scale * rect.x;
  const ly = scale * rect.y;
  const x0 = Math.trunc(ds * lx);
  const y0 = Math.trunc(ds * ly);
  const width = Math.max(1, Math.trunc(Math.min(Math.ceil(scale * rect.width), level.width - Math.ceil(lx))));
  const height = Math.max(1, Math.trunc(Math.min(Math.ceil(scale * rect.height), level.height - Math.ceil(ly))));
  // As region-reader.ts decides it: a shift under 1/256 pixel is none.
  const whole = (v: number) => (Math.floor((v / ds - Math.floor(v / ds)) * 256) === 0 ? Math.floor(v / ds) : undefined);
  const levelX = whole(x0);
  const levelY = whole(y0);
  return levelX !== undefined && levelY !== undefined ? { x0, y0, width, height, levelX, levelY } : { x0, y0, width, height };
}

export class DeepZoomLevelReader {
  /** Side of the cached blocks of derived levels, in Deep Zoom pixels. */
  readonly blockSize: number;
  private readonly blocks: ByteLruCache<string, RawImage>;

  constructor(
    private readonly slide: SlideReader,
    private readonly geometry: DeepZoomGeometry,
    private readonly plan: readonly LevelSource[],
    { blockSize = 512, blockCacheBytes = 64 * 1024 * 1024 }: LevelReaderOptions = {},
  ) {
    this.blockSize = blockSize;
    this.blocks = new ByteLruCache(blockCacheBytes, (img) => img.data.length);
  }

  get blockCacheBytes(): number {
    return this.blocks.bytes;
  }

  clear(): void {
    this.blocks.clear();
  }

  /** Bytes of RGB pixels of a Deep Zoom level (what caching it whole as blocks costs). */
  levelBytes(level: number): number {
    const { width, height } = this.geometry.levelDimensions[level];
    return width * height * 3;
  }

  /**
   * Builds every block of derived `level`, one block at a time (one libvips call in flight, so requests
   * keep the other threads), row by row. Blocks of finer derived levels built on the way are each used
   * once (blocks nest 2 × 2), so they may be evicted; this level's own blocks are kept most recent.
   * Requests that need a block being built share it. Stops early when `stop()` says so.
   */
  async warmLevel(level: number, stop: () => boolean): Promise<void> {
    if (this.plan[level].kind !== 'derived') return;
    const b = this.blockSize;
    const { width, height } = this.geometry.levelDimensions[level];
    const built: string[] = [];
    for (let by = 0; by < Math.ceil(height / b); by++) {
      for (let bx = 0; bx < Math.ceil(width / b); bx++) {
        if (stop()) return;
        await this.block(level, bx, by);
        built.push(`${level}/${bx}/${by}`);
        for (const key of built) this.blocks.get(key);
      }
    }
  }

  async read(level: number, rect: Rect): Promise<RawImage> {
    const source = this.plan[level];
    if (source.kind === 'stored') {
      const ds = this.slide.levels[source.slideLevel].downsample;
      return this.slide.readRegion(source.slideLevel, levelToLevel0(rect.x, ds), levelToLevel0(rect.y, ds), rect.width, rect.height);
    }
    if (source.kind === 'resampled') return this.readResampled(source.slideLevel, source.scale, rect);
    return this.readDerived(level, rect);
  }

  /** `load()`'s pixels kept with the blocks under `key` (single-flight, bounded by the same bytes). */
  kept(key: string, load: () => Promise<RawImage>): Promise<RawImage> {
    return this.blocks.getOrLoad(`kept/${key}`, load);
  }

  /**
   * A derived level's tile as OpenSlide makes it: the level-0 region its read_region() covers (which at
   * the slide's right and bottom edges ends short of the tile, Deep Zoom sizes being ceil-halved) read
   * from the next finer Deep Zoom level and stretched over the whole tile.
   */
  readStretchedEdge(info: DeepZoomTileInfo): Promise<RawImage> {
    // Kept with the blocks: the finest derived level's edge tiles read the slide, the others blocks.
    return this.blocks.getOrLoad(`edge/${info.level}/${info.col}/${info.row}`, () => this.buildStretchedEdge(info));
  }

  private async buildStretchedEdge(info: DeepZoomTileInfo): Promise<RawImage> {
    const { level, dzRect, openSlideRegion: r } = info;
    const finer = this.geometry.levelDimensions[level + 1];
    const fd = this.geometry.levelDownsamples[level + 1];
    const ds = this.slide.levels[r.level].downsample;
    const l0 = this.slide.levels[0];
    const span = (v0: number, n: number, limit: number, dzLimit: number): [number, number] => {
      const a = Math.min(Math.round(v0 / fd), dzLimit - 1);
      const b = Math.min(Math.ceil(Math.min(v0 + n * ds, limit) / fd - 1e-9), dzLimit);
      return [a, Math.max(a + 1, b)];
    };
    const [x0, x1] = span(r.x, r.width, l0.width, finer.width);
    const [y0, y1] = span(r.y, r.height, l0.height, finer.height);
    const pixels = await this.read(level + 1, { x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
    return shrinkToRgb(pixels, dzRect.width, dzRect.height);
  }

  private async readResampled(slideLevel: number, scale: number, rect: Rect): Promise<RawImage> {
    const r = resampledRegion(this.slide.levels[slideLevel], scale, rect);
    const region = await this.slide.readRegion(slideLevel, r.x0, r.y0, r.width, r.height);
    // OpenSlide stretches the whole region it read over the tile (its edge tiles included, where the
    // region stops at the level's edge), and so does this.
    return shrinkToRgb(region, rect.width, rect.height);
  }

  private async readDerived(level: number, rect: Rect): Promise<RawImage> {
    const b = this.blockSize;
    const dims = this.geometry.levelDimensions[level];
    const bx0 = Math.max(0, Math.floor(rect.x / b));
    const by0 = Math.max(0, Math.floor(rect.y / b));
    const bx1 = Math.min(Math.ceil(dims.width / b), Math.ceil((rect.x + rect.width) / b));
    const by1 = Math.min(Math.ceil(dims.height / b), Math.ceil((rect.y + rect.height) / b));
    const wanted: Promise<RawImage>[] = [];
    const origins: [number, number][] = [];
    for (let by = by0; by < by1; by++) {
      for (let bx = bx0; bx < bx1; bx++) {
        wanted.push(this.block(level, bx, by));
        origins.push([bx * b, by * b]);
      }
    }
    const blocks = await Promise.all(wanted);
    // A rect that is exactly one block (tiles aligned with blocks) is the cached block itself: callers never write to pixels.
    const only = blocks.length === 1 ? blocks[0] : undefined;
    if (only && origins[0][0] === rect.x && origins[0][1] === rect.y && only.width === rect.width && only.height === rect.height) {
      return only;
    }
    const out = whiteRgb(rect.width, rect.height);
    blocks.forEach((block, i) => blit(block, out, origins[i][0] - rect.x, origins[i][1] - rect.y));
    return out;
  }

  private block(level: number, bx: number, by: number): Promise<RawImage> {
    return this.blocks.getOrLoad(`${level}/${bx}/${by}`, () => this.buildBlock(level, bx, by));
  }

  private async buildBlock(level: number, bx: number, by: number): Promise<RawImage> {
    const b = this.blockSize;
    const dims = this.geometry.levelDimensions[level];
    const x = bx * b;
    const y = by * b;
    const width = Math.min(b, dims.width - x);
    const height = Math.min(b, dims.height - y);
    // The finer level's rect may reach one pixel past its edge (ceil-halving): repeat the edge there.
    const finerDims = this.geometry.levelDimensions[level + 1];
    const fw = Math.min(2 * width, finerDims.width - 2 * x);
    const fh = Math.min(2 * height, finerDims.height - 2 * y);
    const finer = await this.read(level + 1, { x: 2 * x, y: 2 * y, width: fw, height: fh });
    return shrinkToRgb(await extendByCopy(finer, 2 * width, 2 * height), width, height);
  }
}

/** The image grown to width × height by repeating its right column and bottom row. */
export async function extendByCopy(image: RawImage, width: number, height: number): Promise<RawImage> {
  if (image.width >= width && image.height >= height) return image;
  const { data, info } = await sharp(image.data, rawDescriptor(image))
    .extend({ right: width - image.width, bottom: height - image.height, extendWith: 'copy' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels as 3 | 4 };
}

/** Resamples (Lanczos 3) to width × height RGB, flattening any alpha onto white first. */
export async function shrinkToRgb(image: RawImage, width: number, height: number): Promise<RawImage> {
  let pipeline = sharp(image.data, rawDescriptor(image));
  if (image.channels === 4) pipeline = pipeline.flatten({ background: WHITE });
  if (image.width !== width || image.height !== height) {
    pipeline = pipeline.resize(width, height, { fit: 'fill', kernel: 'lanczos3' });
  }
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels as 3 | 4 };
}
