// Heatmap pictures aligned to the slide: PNG at a chosen downsample, and a tiled pyramidal TIFF whose
// resolution tags carry the slide's µm/px × downsample, so viewers overlay it on the slide at the right scale.
import sharp from 'sharp';
import { renderRaster, type RenderOptions } from '../heatmap/colour-maps.js';
import type { ProbabilityRaster } from '../heatmap/probability-raster.js';

export interface SlideFrame {
  /** Level-0 size of the slide. */
  width: number;
  height: number;
  /** Level-0 µm/px, when known. */
  mpp: { x: number; y: number } | null;
}

/** Image size covering the whole slide at `downsample` (level-0 px per image px). */
export function imageSize(slide: SlideFrame, downsample: number): { width: number; height: number } {
  if (!(downsample > 0)) throw new Error(`downsample must be positive, got ${downsample}`);
  return { width: Math.max(1, Math.ceil(slide.width / downsample)), height: Math.max(1, Math.ceil(slide.height / downsample)) };
}

export async function heatmapPng(r: ProbabilityRaster, slide: SlideFrame, downsample: number, options: RenderOptions = {}): Promise<Buffer> {
  const { width, height } = imageSize(slide, downsample);
  return sharp(renderRaster(r, width, height, downsample, options), { raw: { width, height, channels: 4 } }).png().toBuffer();
}

export async function heatmapTiff(r: ProbabilityRaster, slide: SlideFrame, downsample: number, options: RenderOptions = {}): Promise<Buffer> {
  const { width, height } = imageSize(slide, downsample);
  const rgba = renderRaster(r, width, height, downsample, options);
  // sharp's xres/yres are pixels per mm; written with resolutionUnit cm as pixels per cm.
  const resolution = slide.mpp ? { xres: 1000 / (slide.mpp.x * downsample), yres: 1000 / (slide.mpp.y * downsample), resolutionUnit: 'cm' as const } : {};
  return sharp(rgba, { raw: { width, height, channels: 4 } })
    .tiff({ tile: true, tileWidth: 256, tileHeight: 256, pyramid: true, compression: 'deflate', ...resolution })
    .toBuffer();
}
