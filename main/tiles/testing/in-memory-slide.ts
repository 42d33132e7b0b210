// A SlideReader over pixels held in memory, for unit tests of code that consumes slides (not of readers):
// a synthetic pattern, pyramid levels by libvips halving, JPEG "native" tiles, and a log of reads.
import sharp from 'sharp';
import type { NativeTile, RawImage, SlideLevel, SlideReader } from '../../slide/slide-reader.js';

export interface InMemorySlideOptions {
  width: number;
  height: number;
  /** Number of stored levels, each half the previous (floor), like libvips pyramids. */
  levelCount?: number;
  tileSize?: number;
  /** Offer stored tiles as JPEG through readNativeTile (else null, as for JPEG 2000 slides). Default false. */
  jpegTiles?: boolean;
}

/** A smooth, position-identifying RGB pattern: red follows x, green follows y, blue a checker of 64 px. */
export function patternRgb(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = Math.floor((x / width) * 255);
      data[o + 1] = Math.floor((y / height) * 255);
      data[o + 2] = ((x >> 6) + (y >> 6)) % 2 ? 200 : 60;
    }
  }
  return data;
}

export class InMemorySlide implements SlideReader {
  readonly vendor = 'in-memory';
  readonly mpp = { x: 0.25, y: 0.25 };
  readonly objectivePower = 40;
  readonly properties = {};
  readonly associatedImages = [];
  readonly regionReads: { level: number; width: number; height: number }[] = [];
  readonly nativeReads: { level: number; col: number; row: number }[] = [];

  private constructor(
    readonly levels: SlideLevel[],
    private readonly rasters: Buffer[],
    private readonly jpegTiles: boolean,
  ) {}

  static async create({ width, height, levelCount = 1, tileSize = 256, jpegTiles = false }: InMemorySlideOptions): Promise<InMemorySlide> {
    const base = patternRgb(width, height);
    const levels: SlideLevel[] = [];
    const rasters: Buffer[] = [];
    let w = width;
    let h = height;
    for (let i = 0; i < levelCount; i++) {
      const rgba =
        i === 0
          ? await sharp(base, { raw: { width, height, channels: 3 } }).ensureAlpha().raw().toBuffer()
          : await sharp(base, { raw: { width, height, channels: 3 } }).resize(w, h, { fit: 'fill' }).ensureAlpha().raw().toBuffer();
      levels.push({ width: w, height: h, downsample: (width / w + height / h) / 2, tileWidth: tileSize, tileHeight: tileSize });
      rasters.push(rgba);
      w = Math.floor(w / 2);
      h = Math.floor(h / 2);
    }
    return new InMemorySlide(levels, rasters, jpegTiles);
  }

  async readRegion(level: number, x: number, y: number, width: number, height: number): Promise<RawImage> {
    this.regionReads.push({ level, width, height });
    const l = this.levels[level];
    const lx = Math.floor(x / l.downsample);
    const ly = Math.floor(y / l.downsample);
    const out = Buffer.alloc(width * height * 4);
    const src = this.rasters[level];
    for (let row = 0; row < height; row++) {
      const sy = ly + row;
      if (sy < 0 || sy >= l.height) continue;
      const x0 = Math.max(0, lx);
      const x1 = Math.min(l.width, lx + width);
      if (x1 <= x0) continue;
      src.copy(out, (row * width + (x0 - lx)) * 4, (sy * l.width + x0) * 4, (sy * l.width + x1) * 4);
    }
    return { data: out, width, height, channels: 4 };
  }

  async readNativeTile(level: number, col: number, row: number): Promise<NativeTile | null> {
    this.nativeReads.push({ level, col, row });
    if (!this.jpegTiles) return null;
    const l = this.levels[level];
    const t = l.tileWidth;
    // Stored tiles are padded to the full size, as in TIFF.
    const px = await this.readRegion(level, Math.ceil(col * t * l.downsample), Math.ceil(row * t * l.downsample), t, t);
    this.regionReads.pop();
    const bytes = await sharp(px.data, { raw: { width: t, height: t, channels: 4 } }).removeAlpha().jpeg({ quality: 90 }).toBuffer();
    return { encoding: 'jpeg', bytes, width: t, height: t };
  }

  async readAssociatedImage(name: string): Promise<RawImage> {
    throw new Error(`No associated image ${name}`);
  }

  async close(): Promise<void> {}
}
