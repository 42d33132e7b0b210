// The whole slide scaled to a given size: the tissue under a "heatmap over slide" export and the report's
// thumbnail. Read from the most detailed level that is still small enough to read in one go and no finer
// than needed, then resized by libvips.
import sharp from 'sharp';
import { MAX_REGION_PIXELS } from './region-reader.js';
import { SlideError } from './slide-errors.js';
import type { RawImage, SlideReader } from './slide-reader.js';

export async function slideOverview(reader: SlideReader, width: number, height: number): Promise<RawImage> {
  const levels = reader.levels;
  const wanted = levels[0].width / Math.max(1, width);
  const fits = levels.map((l, i) => ({ l, i })).filter(({ l }) => l.width * l.height <= MAX_REGION_PIXELS);
  if (fits.length === 0) throw new SlideError('too-large', 'No level of this slide is small enough for an overview');
  const detailed = fits.filter(({ l }) => l.downsample <= wanted * 1.001);
  const pick = detailed.length ? detailed[detailed.length - 1] : fits.reduce((a, b) => (b.l.downsample < a.l.downsample ? b : a));
  const region = await reader.readRegion(pick.i, 0, 0, pick.l.width, pick.l.height);
  const data = await sharp(region.data, { raw: { width: region.width, height: region.height, channels: region.channels } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { data, width, height, channels: region.channels };
}
