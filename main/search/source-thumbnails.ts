// Gallery thumbnails of patches on cached slides that are not open: each source file opened once, read-only,
// for the few regions asked, then closed (opening it in the viewer stays the user's choice). Same reading as
// SlideService.region: the coarsest level still at least as fine as the thumbnail, resized by sharp.
import sharp from 'sharp';
import { openSlide } from '../slide/open-slide.js';

export interface ThumbRequest {
  x: number;
  y: number;
  size: number;
}

/** JPEG data URLs (longer side `px`) of square level-0 regions of the slide at `path`, in order; undefined where one fails. */
export async function sourceThumbnails(path: string, regions: readonly ThumbRequest[], px = 96): Promise<(string | undefined)[]> {
  const reader = await openSlide(path);
  try {
    const out: (string | undefined)[] = [];
    for (const r of regions) {
      try {
        const wanted = r.size / px;
        let level = 0;
        reader.levels.forEach((l, i) => {
          if (l.downsample <= wanted * 1.001) level = i;
        });
        const ds = reader.levels[level].downsample;
        const side = Math.max(1, Math.round(r.size / ds));
        const img = await reader.readRegion(level, Math.round(r.x), Math.round(r.y), side, side);
        const jpeg = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })
          .flatten({ background: '#ffffff' })
          .resize(px, px, { fit: 'fill' })
          .jpeg({ quality: 80 })
          .toBuffer();
        out.push(`data:image/jpeg;base64,${jpeg.toString('base64')}`);
      } catch {
        out.push(undefined);
      }
    }
    return out;
  } finally {
    await reader.close().catch(() => {});
  }
}
