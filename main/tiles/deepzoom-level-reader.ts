// Reads rectangles of Deep Zoom levels as pixels, following the level source plan: 1:1 from a stored
// level, resampled from a finer stored level, or composed from cached blocks derived by halving the next
// finer Deep Zoom level. Results are RGB on white, or RGBA straight from the slide (to be flattened).
import sharp from 'sharp';
import type { RawImage, SlideReader } from '../slide/slide-reader.js';
import { ByteLruCache } from '../common/byte-lru-cache.js';
import type { DeepZoomGeometry, Rect } from './deepzoom-geometry.js';
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

export class DeepZoomLevelReader {
  private readonly blockSize: number;
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

  private async readResampled(slideLevel: number, scale: number, rect: Rect): Promise<RawImage> {
    const level = this.slide.levels[slideLevel];
    const lx0 = Math.floor(rect.x * scale);
    const ly0 = Math.floor(rect.y * scale);
    const lw = Math.ceil((rect.x + rect.width) * scale) - lx0;
    const lh = Math.ceil((rect.y + rect.height) * scale) - ly0;
    // Past the level's edge, repeat its last pixels rather than blend in white: the slide ends inside
    // the last Deep Zoom pixel, and OpenSlide stretches the slide over it.
    const inW = Math.max(1, Math.min(lw, level.width - lx0));
    const inH = Math.max(1, Math.min(lh, level.height - ly0));
    const ds = level.downsample;
    const region = await this.slide.readRegion(slideLevel, levelToLevel0(lx0, ds), levelToLevel0(ly0, ds), inW, inH);
    return shrinkToRgb(await extendByCopy(region, lw, lh), rect.width, rect.height);
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
