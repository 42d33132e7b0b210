// A DICOM pyramid level as a tile grid: tile (col, row) is a frame of one of the level's files (several when
// the level is a concatenation), found by position (TILED_FULL row-major, or TILED_SPARSE per-frame
// positions); JPEG frames pass through as they are.
import { completeTiffJpeg } from '../codecs/jpeg.js';
import type { RgbaImage } from '../codecs/rgba.js';
import { SlideError } from '../slide-errors.js';
import type { NativeTile } from '../slide-reader.js';
import type { TileGridLevel } from '../tile-grid.js';
import { decodeFrame } from './frame-decoder.js';
import { readFrame } from './frame-reader.js';
import { isJpeg, type Instance } from './wsi-instance.js';
import { WsiTag } from './wsi-tags.js';

/** A pyramid level from the files holding it (several when the level is a concatenation). */
export function dicomLevel(parts: Instance[], downsample: number): TileGridLevel {
  const first = parts[0];
  const tileWidth = first.tileWidth;
  const tileHeight = first.tileHeight;
  const tilesAcross = Math.ceil(first.width / tileWidth);
  const tilesDown = Math.ceil(first.height / tileHeight);
  const locate = frameLocator(parts, tilesAcross, tilesDown);
  const blank = (): RgbaImage => ({ data: Buffer.alloc(tileWidth * tileHeight * 4), width: tileWidth, height: tileHeight, channels: 4 });
  return {
    width: first.width,
    height: first.height,
    downsample,
    tileWidth,
    tileHeight,
    tilesAcross,
    tilesDown,
    async decodeTile(col, row) {
      const at = locate(col, row);
      if (!at) return blank();
      return decodeFrame(at.inst, await readFrame(at.inst, at.frame));
    },
    async readNativeTile(col, row): Promise<NativeTile | null> {
      const at = locate(col, row);
      if (!at || !isJpeg(at.inst)) return null;
      const bytes = completeTiffJpeg(undefined, await readFrame(at.inst, at.frame), at.inst.photometric === 'RGB');
      return { encoding: 'jpeg', bytes, width: tileWidth, height: tileHeight };
    },
  };
}

/**
 * (col, row) → which file and frame. TILED_FULL: frames in row-major order (first focal plane and
 * optical path come first, so later frames are ignored). TILED_SPARSE: each frame's position from the
 * per-frame Plane Position (Slide) sequence; tiles without a frame are blank.
 */
function frameLocator(parts: Instance[], across: number, down: number): (col: number, row: number) => { inst: Instance; frame: number } | null {
  const sparse = parts.some((p) => p.ds.string(WsiTag.DimensionOrganizationType) !== 'TILED_FULL' && p.ds.items(WsiTag.PerFrameFunctionalGroupsSequence).length > 0);
  if (!sparse) {
    return (col, row) => {
      const global = row * across + col;
      for (const p of parts) {
        if (global >= p.frameOffset && global < p.frameOffset + p.frames) return { inst: p, frame: global - p.frameOffset };
      }
      return null;
    };
  }
  const map = new Map<number, { inst: Instance; frame: number }>();
  for (const p of parts) {
    p.ds.items(WsiTag.PerFrameFunctionalGroupsSequence).forEach((item, frame) => {
      const pos = item.item(WsiTag.PlanePositionSlideSequence);
      const x = pos?.number(WsiTag.ColumnPositionInTotalImagePixelMatrix);
      const y = pos?.number(WsiTag.RowPositionInTotalImagePixelMatrix);
      if (x === undefined || y === undefined || frame >= p.frames) return;
      const col = (x - 1) / p.tileWidth;
      const row = (y - 1) / p.tileHeight;
      if (!Number.isInteger(col) || !Number.isInteger(row) || col < 0 || row < 0 || col >= across || row >= down) {
        throw new SlideError('unsupported-feature', `${p.source.path} has a frame at (${x}, ${y}), not on the ${p.tileWidth}×${p.tileHeight} tile grid`);
      }
      const key = row * across + col;
      if (!map.has(key)) map.set(key, { inst: p, frame });
    });
  }
  return (col, row) => map.get(row * across + col) ?? null;
}
