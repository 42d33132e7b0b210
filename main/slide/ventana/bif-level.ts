// One Ventana BIF level as OpenSlide's tile map: the scanner's raw camera tiles overlap, each drawn at a
// fixed advance (encode-info.ts) from its area's position; lower levels hold the same raw tiles shrunk, so a
// level-N TIFF tile splits into downsample × downsample subtiles laid out the same way.
import { ByteLruCache } from '../../common/byte-lru-cache.js';
import type { RgbaImage } from '../codecs/rgba.js';
import type { TileGridLevel } from '../tile-grid.js';
import type { TiffImage } from '../tiff/tiff-image.js';
import type { BifLayout } from './encode-info.js';

/** Decoded raw tiles kept per level while composing (each serves several output tiles). */
const RAW_TILE_CACHE_BYTES = 16 * 1024 * 1024;

/**
 * One BIF level as OpenSlide's tile map: raw tile (col, row) of an area, shrunk by `downsample`, drawn at
 * (col · advance + area offset) / downsample; where tiles overlap, the lower-right one shows (as OpenSlide).
 * Served as a regular grid of output tiles the TIFF tile size, composed from the raw tiles they touch.
 */
export function bifLevel(
  plain: TileGridLevel,
  image: TiffImage,
  bif: BifLayout,
  downsample: number,
  fail: (msg: string) => never,
): TileGridLevel {
  const perTile = Math.trunc(downsample);
  const tw = image.tileWidth;
  const th = image.tileHeight;
  const advanceX = bif.advanceX / downsample;
  const advanceY = bif.advanceY / downsample;
  const subW = tw / downsample;
  const subH = th / downsample;
  // The pixels one raw tile paints: the whole TIFF tile at level 0, else a ceil-sized piece of one.
  const drawW = perTile > 1 ? Math.ceil(tw / perTile) : tw;
  const drawH = perTile > 1 ? Math.ceil(th / perTile) : th;
  const placed = bif.areas.map((a) => ({
    ...a,
    offsetX: (a.x - a.startCol * bif.advanceX) / downsample,
    offsetY: (a.y - a.startRow * bif.advanceY) / downsample,
  }));
  let right = -Infinity;
  let bottom = -Infinity;
  for (const a of placed) {
    right = Math.max(right, (a.startCol + a.tilesAcross - 1) * advanceX + a.offsetX + subW);
    bottom = Math.max(bottom, (a.startRow + a.tilesDown - 1) * advanceY + a.offsetY + subH);
  }
  const width = Math.ceil(right);
  const height = Math.ceil(bottom);
  if (!(width >= 1 && height >= 1 && width <= 1 << 24 && height <= 1 << 24))
    fail(`a level of ${width}×${height} pixels`);
  const raw = new ByteLruCache<string, RgbaImage>(RAW_TILE_CACHE_BYTES, (t) => t.data.length);
  const rawTile = (col: number, row: number): Promise<RgbaImage> => {
    if (col >= image.tilesAcross || row >= image.tilesDown)
      fail(`raw tile (${col}, ${row}) is outside the ${image.tilesAcross}×${image.tilesDown} TIFF tiles of the level`);
    return raw.getOrLoad(`${col}/${row}`, () => plain.decodeTile(col, row));
  };
  /** The area whose tile (col, row) is drawn: the last one listing it (OpenSlide's hash table replaces). */
  const owner = (col: number, row: number): (typeof placed)[number] | undefined => {
    for (let i = placed.length - 1; i >= 0; i--) {
      const a = placed[i];
      if (col >= a.startCol && col < a.startCol + a.tilesAcross && row >= a.startRow && row < a.startRow + a.tilesDown)
        return a;
    }
    return undefined;
  };
  return {
    width,
    height,
    downsample,
    tileWidth: tw,
    tileHeight: th,
    tilesAcross: Math.ceil(width / tw),
    tilesDown: Math.ceil(height / th),
    async decodeTile(vcol: number, vrow: number): Promise<RgbaImage> {
      const x0 = vcol * tw;
      const y0 = vrow * th;
      const hits: { col: number; row: number; x: number; y: number }[] = [];
      for (const a of placed) {
        const c0 = Math.max(a.startCol, Math.floor((x0 - a.offsetX - Math.max(subW, drawW)) / advanceX));
        const c1 = Math.min(a.startCol + a.tilesAcross - 1, Math.ceil((x0 + tw - a.offsetX) / advanceX));
        const r0 = Math.max(a.startRow, Math.floor((y0 - a.offsetY - Math.max(subH, drawH)) / advanceY));
        const r1 = Math.min(a.startRow + a.tilesDown - 1, Math.ceil((y0 + th - a.offsetY) / advanceY));
        for (let row = r0; row <= r1; row++) {
          for (let col = c0; col <= c1; col++) {
            if (owner(col, row) !== a) continue;
            const x = col * advanceX + a.offsetX;
            const y = row * advanceY + a.offsetY;
            // OpenSlide's skip test uses the nominal (shrunk) tile size.
            if (x + subW <= x0 || y + subH <= y0 || x >= x0 + tw || y >= y0 + th) continue;
            hits.push({ col, row, x, y });
          }
        }
      }
      // OpenSlide paints rows bottom to top, each right to left, with cairo's SATURATE operator: a pixel
      // keeps the first opaque paint, so in an overlap the lower-right tile wins.
      hits.sort((p, q) => q.row - p.row || q.col - p.col);
      const out = Buffer.alloc(tw * th * 4);
      for (const h of hits) {
        const tcol = Math.floor(h.col / perTile);
        const trow = Math.floor(h.row / perTile);
        const tile = await rawTile(tcol, trow);
        const sx = Math.round((h.col % perTile) * (tw / perTile));
        const sy = Math.round((h.row % perTile) * (th / perTile));
        // Sub-pixel positions are rounded (cairo would interpolate).
        const dx = Math.round(h.x) - x0;
        const dy = Math.round(h.y) - y0;
        for (let y = 0; y < drawH; y++) {
          const ty = sy + y;
          const oy = dy + y;
          // Pixels past the TIFF image (padding of edge tiles) are clipped to transparent, as OpenSlide does.
          if (oy < 0 || oy >= th || ty >= th || trow * th + ty >= image.height) continue;
          for (let x = 0; x < drawW; x++) {
            const tx = sx + x;
            const ox = dx + x;
            if (ox < 0 || ox >= tw || tx >= tw || tcol * tw + tx >= image.width) continue;
            const si = (ty * tile.width + tx) * 4;
            const di = (oy * tw + ox) * 4;
            if (tile.data[si + 3] === 0 || out[di + 3] !== 0) continue;
            tile.data.copy(out, di, si, si + 4);
          }
        }
      }
      return { data: out, width: tw, height: th, channels: 4 };
    },
    async readNativeTile() {
      return null;
    },
  };
}
