// OpenSlide's MIRAX tilemap: each zoom level's hierarchical records (one image each) cut into sub-tiles
// and placed at their photo's camera position; level 0 keeps only photos with a position (or the first),
// other levels only tiles that cover an active photo. Also OpenSlide's bounds: the box around every
// placed level-0 tile.
import type { Hash } from 'node:crypto';
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import type { IndexDat } from './index-dat.js';
import type { MiraxGeometry } from './level-geometry.js';
import type { MiraxSlideLayout } from './slide-layout.js';

/** One stored image: where its bytes are, and a slide-wide number (its cache key). */
export interface MiraxImage {
  fileno: number;
  offset: number;
  length: number;
  imageno: number;
}

/** A sub-tile of an image (from srcX, srcY) placed at posX, posY of its level; tileX, tileY: its index (paint order). */
export interface Placement {
  image: MiraxImage;
  srcX: number;
  srcY: number;
  tileX: number;
  tileY: number;
  posX: number;
  posY: number;
}

export interface PlacedTiles {
  /** Per zoom level, by "tileX,tileY". */
  levels: Map<string, Placement>[];
  /** Whether every level's tiles sit on their regular grid (OpenSlide then states tile sizes). */
  tileHints: boolean;
}

/**
 * Places every level's tiles. `checkRecord` checks a record against its data file; the last zoom level's
 * images are fed to `quickhash` in record order, as OpenSlide hashes them.
 */
export async function placeTiles(
  layout: MiraxSlideLayout,
  geometry: MiraxGeometry,
  positions: Int32Array,
  index: IndexDat,
  indexPath: string,
  checkRecord: (r: { fileno: number; offset: number; length: number }, what: string) => FileSource,
  quickhash: Hash,
): Promise<PlacedTiles> {
  const { imagesX, imagesY, divisions } = layout;
  const { params, tileSizes } = geometry;
  const s0 = layout.sections[0];
  const zoomLevels = layout.sections.length;
  const positionsX = Math.trunc(imagesX / divisions);
  const active = new Set<number>();
  let imageno = 0;
  const levels: Map<string, Placement>[] = [];
  const offsets: boolean[] = params.map(() => false);
  for (let z = 0; z < zoomLevels; z++) {
    const lp = params[z];
    const tiles = new Map<string, Placement>();
    levels.push(tiles);
    for (const rec of index.hierRecords(z, imagesX * imagesY)) {
      const x = rec.imageIndex % imagesX;
      const y = Math.trunc(rec.imageIndex / imagesX);
      if (y >= imagesY) throw new SlideError('corrupt', `${indexPath} is corrupt: image ${rec.imageIndex} of zoom level ${z} lies outside the ${imagesX}×${imagesY} images`);
      if (x % lp.concat || y % lp.concat) throw new SlideError('corrupt', `${indexPath} is corrupt: image ${rec.imageIndex} is not at a multiple of ${lp.concat} for zoom level ${z}`);
      const f = checkRecord(rec, `image ${rec.imageIndex} of zoom level ${z}`);
      if (z === zoomLevels - 1) quickhash.update(await f.read(rec.offset, rec.length));
      const image: MiraxImage = { fileno: rec.fileno, offset: rec.offset, length: rec.length, imageno: imageno++ };
      for (let yi = 0; yi < lp.tilesPerImage; yi++) {
        const yy = y + yi * divisions;
        if (yy >= imagesY) break;
        for (let xi = 0; xi < lp.tilesPerImage; xi++) {
          const xx = x + xi * divisions;
          if (xx >= imagesX) break;
          const xp = Math.trunc(xx / divisions);
          const yp = Math.trunc(yy / divisions);
          const cp = yp * positionsX + xp;
          const pos0X = positions[cp * 2] + s0.imageW * (xx - xp * divisions);
          const pos0Y = positions[cp * 2 + 1] + s0.imageH * (yy - yp * divisions);
          if (z === 0) {
            if (positions[cp * 2] === 0 && positions[cp * 2 + 1] === 0 && (xp !== 0 || yp !== 0)) continue;
            active.add(cp);
          } else {
            let any = false;
            for (let ypp = yp; ypp < yp + lp.positionsPerTile && !any; ypp++) {
              for (let xpp = xp; xpp < xp + lp.positionsPerTile && !any; xpp++) any = active.has(ypp * positionsX + xpp);
            }
            if (!any) continue;
          }
          const tileX = Math.trunc(x / lp.tileCountDivisor) + xi;
          const tileY = Math.trunc(y / lp.tileCountDivisor) + yi;
          const posX = pos0X / lp.concat;
          const posY = pos0Y / lp.concat;
          if (posX - tileX * lp.advanceX || posY - tileY * lp.advanceY) offsets[z] = true;
          tiles.set(`${tileX},${tileY}`, { image, srcX: tileSizes[z].w * xi, srcY: tileSizes[z].h * yi, tileX, tileY, posX, posY });
        }
      }
    }
  }
  return { levels, tileHints: geometry.hints.every((h, i) => h && !offsets[i]) };
}

/** OpenSlide's `openslide.bounds-*`: the box around every placed level-0 tile (none when nothing is placed). */
export function boundsProperties(level0: Map<string, Placement>, tile: { w: number; h: number }): Record<string, string> {
  let bx0 = Infinity;
  let by0 = Infinity;
  let bx1 = -Infinity;
  let by1 = -Infinity;
  for (const p of level0.values()) {
    bx0 = Math.min(bx0, p.posX);
    by0 = Math.min(by0, p.posY);
    bx1 = Math.max(bx1, p.posX + tile.w);
    by1 = Math.max(by1, p.posY + tile.h);
  }
  if (bx0 === Infinity) return {};
  return {
    'openslide.bounds-x': String(Math.floor(bx0)),
    'openslide.bounds-y': String(Math.floor(by0)),
    'openslide.bounds-width': String(Math.ceil(bx1) - Math.floor(bx0)),
    'openslide.bounds-height': String(Math.ceil(by1) - Math.floor(by0)),
  };
}
