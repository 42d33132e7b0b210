// MIRAX level geometry as OpenSlide 3.4.1 computes it: the level-0 size from the camera image grid minus
// the overlaps between photos, and per zoom level how images concatenate (2^concat per side), how many
// sub-tiles an image is cut into, the tile size and the nominal advance between tiles.
import { SlideError } from '../slide-errors.js';
import type { MiraxSlideLayout } from './slide-layout.js';

export interface LevelParams {
  concat: number;
  tileCountDivisor: number;
  tilesPerImage: number;
  positionsPerTile: number;
  advanceX: number;
  advanceY: number;
}

export interface MiraxGeometry {
  /** Level-0 size. */
  baseW: number;
  baseH: number;
  /** Whether tiles are placed from camera positions (else a regular grid). */
  positionMode: boolean;
  params: LevelParams[];
  tileSizes: { w: number; h: number }[];
  /** Per level: tiles sit on a regular grid of whole pixels (OpenSlide's tile-size hint), before offsets are looked at. */
  hints: boolean[];
}

export function miraxGeometry(layout: MiraxSlideLayout, iniPath: string): MiraxGeometry {
  const { imagesX, imagesY, divisions, sections } = layout;
  const s0 = sections[0];
  let baseW = 0;
  let baseH = 0;
  for (let i = 0; i < imagesX; i++) baseW += i % divisions !== divisions - 1 || i === imagesX - 1 ? s0.imageW : s0.imageW - s0.overlapX;
  for (let i = 0; i < imagesY; i++) baseH += i % divisions !== divisions - 1 || i === imagesY - 1 ? s0.imageH : s0.imageH - s0.overlapY;
  baseW = Math.trunc(baseW);
  baseH = Math.trunc(baseH);
  const positionMode = layout.vimslideRecord !== -1 || layout.stitchingRecord !== -1 || s0.overlapX !== 0 || s0.overlapY !== 0;
  let totalExp = 0;
  const params: LevelParams[] = [];
  const tileSizes: { w: number; h: number }[] = [];
  for (const s of sections) {
    totalExp += s.concatExponent;
    if (totalExp > 30) throw new SlideError('corrupt', `${iniPath} is corrupt: the IMAGE_CONCAT_FACTORs add up to ${totalExp}`);
    const concat = 2 ** totalExp;
    const positionsPerImage = Math.max(1, Math.trunc(concat / divisions));
    const p: LevelParams = positionMode
      ? { concat, tileCountDivisor: Math.min(concat, divisions), tilesPerImage: positionsPerImage, positionsPerTile: 1, advanceX: 0, advanceY: 0 }
      : { concat, tileCountDivisor: concat, tilesPerImage: 1, positionsPerTile: positionsPerImage, advanceX: 0, advanceY: 0 };
    const tw = s.imageW / p.tilesPerImage;
    const th = s.imageH / p.tilesPerImage;
    const imagesPerPosition = Math.max(1, Math.trunc(divisions / concat));
    p.advanceX = tw - s.overlapX / imagesPerPosition;
    p.advanceY = th - s.overlapY / imagesPerPosition;
    params.push(p);
    tileSizes.push({ w: tw, h: th });
  }
  const hints = params.map((p, i) => Number.isInteger(p.advanceX) && Number.isInteger(p.advanceY) && p.advanceX === tileSizes[i].w && p.advanceY === tileSizes[i].h);
  return { baseW, baseH, positionMode, params, tileSizes, hints };
}
