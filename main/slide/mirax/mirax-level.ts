// A MIRAX zoom level as a regular grid of virtual tiles: each virtual tile is painted from the placed
// images that meet it, in OpenSlide's order (row-major by tile index, later on top); uncovered pixels stay
// transparent. Images are decoded whole (JPEG or PNG) through one byte-bounded cache per slide.
import sharp from 'sharp';
import { ByteLruCache } from '../../common/byte-lru-cache.js';
import { decodeJpeg } from '../codecs/jpeg.js';
import { toRgba, type RgbaImage } from '../codecs/rgba.js';
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import type { TileGridLevel } from '../tile-grid.js';
import type { ZoomSection } from './slide-layout.js';
import type { MiraxImage, Placement } from './tile-placement.js';

/** Virtual tile side when OpenSlide gives no tile size. */
const VIRTUAL_TILE = 256;
const DECODED_IMAGE_CACHE_BYTES = 32 << 20;

export type ImageDecoder = (z: number, section: ZoomSection, image: MiraxImage) => Promise<RgbaImage>;

/** Decodes the slide's stored images (opaque RGBA, checked against their section's size), cached by level and image number. */
export function miraxImageDecoder(datafiles: readonly FileSource[]): ImageDecoder {
  const cache = new ByteLruCache<string, RgbaImage>(DECODED_IMAGE_CACHE_BYTES, (i) => i.data.length);
  return (z, s, image) =>
    cache.getOrLoad(`${z}/${image.imageno}`, async () => {
      const f = datafiles[image.fileno];
      const bytes = await f.read(image.offset, image.length);
      const describe = `${f.path}: image ${image.imageno} of zoom level ${z} (bytes ${image.offset}–${image.offset + image.length})`;
      let decoded: RgbaImage;
      if (s.format === 'jpeg') decoded = await decodeJpeg(bytes, s.imageW * s.imageH);
      else if (s.format === 'png') {
        const { data, info } = await sharp(bytes, { limitInputPixels: s.imageW * s.imageH })
          .removeAlpha()
          .raw()
          .toBuffer({ resolveWithObject: true })
          .catch((err: Error) => {
            throw new SlideError('corrupt', `${describe} could not be decoded: ${err.message}`);
          });
        decoded = toRgba(data, info.width, info.height, info.channels);
      } else throw new SlideError('unsupported-feature', `${describe} is a BMP image, which Tessera does not decode`);
      if (decoded.width !== s.imageW || decoded.height !== s.imageH) {
        throw new SlideError('corrupt', `${describe} is ${decoded.width}×${decoded.height} pixels where Slidedat.ini says ${s.imageW}×${s.imageH}`);
      }
      for (let i = 3; i < decoded.data.length; i += 4) decoded.data[i] = 255;
      return decoded;
    });
}

/** The level's tile grid: its stored tile size when `tileHints` (tiles on a regular grid), else 256-px virtual tiles. */
export function miraxLevel(
  width: number,
  height: number,
  downsample: number,
  s: ZoomSection,
  tile: { w: number; h: number },
  placed: Map<string, Placement>,
  tileHints: boolean,
  decodeImage: (image: MiraxImage) => Promise<RgbaImage>,
): TileGridLevel {
  const tw = tileHints ? tile.w : VIRTUAL_TILE;
  const th = tileHints ? tile.h : VIRTUAL_TILE;
  const tilesAcross = Math.max(1, Math.ceil(width / tw));
  const tilesDown = Math.max(1, Math.ceil(height / th));
  // What each virtual tile shows, in OpenSlide's paint order.
  const order = [...placed.values()].sort((a, b) => a.tileY - b.tileY || a.tileX - b.tileX);
  const paintW = Math.ceil(tile.w);
  const paintH = Math.ceil(tile.h);
  const buckets = new Map<number, Placement[]>();
  for (const p of order) {
    const x0 = Math.round(p.posX);
    const y0 = Math.round(p.posY);
    for (let row = Math.max(0, Math.floor(y0 / th)); row <= Math.min(tilesDown - 1, Math.floor((y0 + paintH - 1) / th)); row++) {
      for (let col = Math.max(0, Math.floor(x0 / tw)); col <= Math.min(tilesAcross - 1, Math.floor((x0 + paintW - 1) / tw)); col++) {
        const key = row * tilesAcross + col;
        let list = buckets.get(key);
        if (!list) buckets.set(key, (list = []));
        list.push(p);
      }
    }
  }
  return {
    width,
    height,
    downsample,
    tileWidth: tw,
    tileHeight: th,
    tilesAcross,
    tilesDown,
    async decodeTile(col: number, row: number): Promise<RgbaImage> {
      const out = Buffer.alloc(tw * th * 4);
      const list = buckets.get(row * tilesAcross + col) ?? [];
      const images = await Promise.all(list.map((p) => decodeImage(p.image)));
      list.forEach((p, i) => {
        const img = images[i];
        const sx = Math.round(p.srcX);
        const sy = Math.round(p.srcY);
        const dx = Math.round(p.posX) - col * tw;
        const dy = Math.round(p.posY) - row * th;
        const w = Math.min(paintW, s.imageW - sx);
        const h = Math.min(paintH, s.imageH - sy);
        const x0 = Math.max(0, dx);
        const x1 = Math.min(tw, dx + w);
        if (x0 >= x1) return;
        for (let y = Math.max(0, dy); y < Math.min(th, dy + h); y++) {
          const src = ((sy + y - dy) * img.width + sx + x0 - dx) * 4;
          img.data.copy(out, (y * tw + x0) * 4, src, src + (x1 - x0) * 4);
        }
      });
      return { data: out, width: tw, height: th, channels: 4 };
    },
    readNativeTile: () => Promise.resolve(null),
  };
}
