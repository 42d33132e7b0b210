// OpenSlide's read_region from native tiles: x, y in level-0 pixels, w × h in pixels of the level,
// RGBA out, transparent black outside the image. Whole-pixel positions are row copies; a fractional
// position (x / downsample not whole, as at most levels > 0) is a bilinear sub-pixel shift in
// premultiplied alpha like OpenSlide's cairo painting, which is what gives its soft alpha at image edges.
import type { RgbaImage } from './codecs/rgba.js';
import type { DecodedTile } from './slide-handle.js';
import { SlideError } from './slide-errors.js';
import type { TileGridLevel } from './tile-grid.js';

/** Largest region one call may ask for (pixels): 256 MiB of RGBA. */
export const MAX_REGION_PIXELS = 1 << 26;

/** A decoded tile: RGBA, or RGB (JPEG levels: opaque, written with alpha 255). */
export type TileFetcher = (col: number, row: number) => Promise<RgbaImage | DecodedTile>;

export function checkRegionSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new SlideError('invalid-argument', `A region must be at least 1×1 whole pixels, not ${width}×${height}`);
  }
  if (width * height > MAX_REGION_PIXELS) {
    throw new SlideError('too-large', `A region of ${width}×${height} pixels is larger than the ${MAX_REGION_PIXELS}-pixel limit per read`);
  }
}

export async function readLevelRegion(
  level: TileGridLevel,
  fetchTile: TileFetcher,
  x: number,
  y: number,
  width: number,
  height: number,
): Promise<RgbaImage> {
  if (!Number.isFinite(x) || !Number.isFinite(y)) throw new SlideError('invalid-argument', `Region position (${x}, ${y}) is not a number`);
  checkRegionSize(width, height);
  const lx = x / level.downsample;
  const ly = y / level.downsample;
  const ix = Math.floor(lx);
  const iy = Math.floor(ly);
  // Sub-pixel weights in 1/256 steps, as pixman's bilinear filter quantises them.
  const dx = Math.floor((lx - ix) * 256);
  const dy = Math.floor((ly - iy) * 256);
  if (dx === 0 && dy === 0) return copyRegion(level, fetchTile, ix, iy, width, height);
  const window = await copyRegion(level, fetchTile, ix, iy, width + 1, height + 1);
  return shiftBilinear(window, width, height, dx, dy);
}

/** Copies the level pixels [ix, ix+w) × [iy, iy+h) from tiles; pixels outside the level stay 0. */
export async function copyRegion(
  level: TileGridLevel,
  fetchTile: TileFetcher,
  ix: number,
  iy: number,
  width: number,
  height: number,
): Promise<RgbaImage> {
  const out = Buffer.alloc(width * height * 4);
  const x0 = Math.max(ix, 0);
  const y0 = Math.max(iy, 0);
  const x1 = Math.min(ix + width, level.width);
  const y1 = Math.min(iy + height, level.height);
  if (x0 >= x1 || y0 >= y1) return { data: out, width, height, channels: 4 };
  const tw = level.tileWidth;
  const th = level.tileHeight;
  const jobs: Promise<void>[] = [];
  for (let row = Math.floor(y0 / th); row * th < y1; row++) {
    for (let col = Math.floor(x0 / tw); col * tw < x1; col++) {
      jobs.push(
        fetchTile(col, row).then((tile) => {
          // Intersection of this tile, the image and the region, in level coordinates.
          const sx0 = Math.max(col * tw, x0);
          const sy0 = Math.max(row * th, y0);
          const sx1 = Math.min(col * tw + tile.width, x1);
          const sy1 = Math.min(row * th + tile.height, y1);
          if (sx0 >= sx1) return;
          const n = sx1 - sx0;
          const c = tile.channels;
          for (let sy = sy0; sy < sy1; sy++) {
            const src = ((sy - row * th) * tile.width + (sx0 - col * tw)) * c;
            const dst = ((sy - iy) * width + (sx0 - ix)) * 4;
            if (c === 4) tile.data.copy(out, dst, src, src + n * 4);
            else rgbRowToRgba(tile.data, src, out, dst, n);
          }
        }),
      );
    }
  }
  await Promise.all(jobs);
  return { data: out, width, height, channels: 4 };
}

function rgbRowToRgba(src: Buffer, s: number, out: Buffer, o: number, pixels: number): void {
  for (let p = 0; p < pixels; p++, s += 3, o += 4) {
    out[o] = src[s];
    out[o + 1] = src[s + 1];
    out[o + 2] = src[s + 2];
    out[o + 3] = 255;
  }
}

/** Bilinear shift by (dx, dy)/256 of a (w+1)×(h+1) window to w×h, in premultiplied alpha, back to straight RGBA. */
function shiftBilinear(win: RgbaImage, width: number, height: number, dx: number, dy: number): RgbaImage {
  const src = win.data;
  const ww = win.width;
  // Premultiply once (tiles are almost always opaque, so this is mostly a no-op pass).
  const pre = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i += 4) {
    const a = src[i + 3];
    pre[i + 3] = a;
    if (a === 255) {
      pre[i] = src[i];
      pre[i + 1] = src[i + 1];
      pre[i + 2] = src[i + 2];
    } else if (a !== 0) {
      pre[i] = Math.round((src[i] * a) / 255);
      pre[i + 1] = Math.round((src[i + 1] * a) / 255);
      pre[i + 2] = Math.round((src[i + 2] * a) / 255);
    }
  }
  const wtl = (256 - dx) * (256 - dy);
  const wtr = dx * (256 - dy);
  const wbl = (256 - dx) * dy;
  const wbr = dx * dy;
  const out = Buffer.allocUnsafe(width * height * 4);
  const px = new Uint32Array(4);
  for (let y = 0; y < height; y++) {
    let t = y * ww * 4;
    let b = t + ww * 4;
    let o = y * width * 4;
    for (let x = 0; x < width; x++, t += 4, b += 4, o += 4) {
      for (let c = 0; c < 4; c++) {
        px[c] = (pre[t + c] * wtl + pre[t + 4 + c] * wtr + pre[b + c] * wbl + pre[b + 4 + c] * wbr) >>> 16;
      }
      const a = px[3];
      out[o + 3] = a;
      if (a === 255 || a === 0) {
        out[o] = px[0];
        out[o + 1] = px[1];
        out[o + 2] = px[2];
      } else {
        // Un-premultiply as openslide-python does, rounding to nearest.
        out[o] = Math.min(255, Math.floor((px[0] * 255 + (a >> 1)) / a));
        out[o + 1] = Math.min(255, Math.floor((px[1] * 255 + (a >> 1)) / a));
        out[o + 2] = Math.min(255, Math.floor((px[2] * 255 + (a >> 1)) / a));
      }
    }
  }
  return { data: out, width, height, channels: 4 };
}
