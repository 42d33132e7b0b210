// Heatmap pictures aligned to the slide: PNG at a chosen downsample, and a tiled pyramidal TIFF whose
// resolution tags carry the slide's µm/px × downsample, so viewers overlay it on the slide at the right scale.
import sharp from 'sharp';
import { colourMapTable, defaultColourMap, renderRaster, type RenderOptions } from '../heatmap/colour-maps.js';
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

/** Decoded slide pixels (RGB or RGBA), any size: scaled to the heatmap's size before compositing. */
export interface SlidePicture {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

export interface OverlayOptions extends RenderOptions {
  /** What the colours mean, e.g. the class name: the legend reads `P(<title>)`. */
  legendTitle?: string;
}

/** Height of the legend strip under the picture, px. */
export const LEGEND_HEIGHT = 56;
/** The picture is widened (white) to at least this, so the legend fits. */
export const LEGEND_MIN_WIDTH = 380;
/** Where the colour bar sits in the legend strip (x, y from the strip's top left; width, height). */
export const COLOUR_BAR = { x: 12, y: 22, width: 200, height: 14 };

const xmlEsc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The longest 1/2/5 × 10^k length ≤ `max` (µm). */
function niceLength(max: number): number {
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [5, 2, 1]) if (m * p <= max) return m * p;
  return p;
}

/**
 * The heatmap over the slide itself ("heatmap over slide"): the slide at `downsample` with the heatmap
 * alpha-blended on it, and a legend strip underneath (colour bar 0–1 with the class, the threshold, and a
 * scale bar when the pixel size is known). Same alignment as heatmapPng: pixel (u, v) covers level-0
 * [u·downsample, (u+1)·downsample).
 */
export async function heatmapOverlayPng(
  r: ProbabilityRaster,
  slide: SlideFrame,
  downsample: number,
  background: SlidePicture,
  options: OverlayOptions = {},
): Promise<Buffer> {
  const { width, height } = imageSize(slide, downsample);
  const heat = renderRaster(r, width, height, downsample, { ...options, opacity: options.opacity ?? 170 });
  const base = await sharp(background.data, { raw: { width: background.width, height: background.height, channels: background.channels } })
    .flatten({ background: '#ffffff' })
    .resize(width, height, { fit: 'fill' })
    .removeAlpha()
    .raw()
    .toBuffer();
  const W = Math.max(width, LEGEND_MIN_WIDTH);
  const H = height + LEGEND_HEIGHT;
  const out = Buffer.alloc(W * H * 3, 255);
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      const i = v * width + u;
      const o = (v * W + u) * 3;
      const a = heat[i * 4 + 3] / 255;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(base[i * 3 + c] * (1 - a) + heat[i * 4 + c] * a);
    }
  }
  // Legend strip: the colour bar and the scale bar painted as pixels, the words as SVG text over them.
  const lut = colourMapTable(options.colourMap ?? defaultColourMap);
  const top = height;
  const bar = COLOUR_BAR;
  for (let y = 0; y < bar.height; y++) {
    for (let x = 0; x < bar.width; x++) {
      const k = Math.round((x / (bar.width - 1)) * 255) * 3;
      const o = ((top + bar.y + y) * W + bar.x + x) * 3;
      out[o] = lut[k];
      out[o + 1] = lut[k + 1];
      out[o + 2] = lut[k + 2];
    }
  }
  const texts: string[] = [
    `<text x="${bar.x}" y="15" font-size="12">${xmlEsc(`P(${options.legendTitle ?? r.className})`)}${options.threshold ? xmlEsc(` — shown from ${options.threshold}`) : ''}</text>`,
    `<text x="${bar.x}" y="${bar.y + bar.height + 13}" font-size="11">0</text>`,
    `<text x="${bar.x + bar.width}" y="${bar.y + bar.height + 13}" font-size="11" text-anchor="end">1</text>`,
  ];
  if (options.threshold) {
    const tx = bar.x + Math.round(options.threshold * (bar.width - 1));
    for (let y = -3; y < bar.height + 3; y++) {
      const o = ((top + bar.y + y) * W + tx) * 3;
      out[o] = out[o + 1] = out[o + 2] = 0;
    }
  }
  if (slide.mpp) {
    const umPerPx = slide.mpp.x * downsample;
    const room = Math.min(W - bar.x - bar.width - 40, 200);
    if (room > 20) {
      const um = niceLength(room * umPerPx);
      const len = Math.max(1, Math.round(um / umPerPx));
      const x0 = W - 12 - len;
      for (let y = 0; y < 6; y++)
        for (let x = 0; x < len; x++) {
          const o = ((top + bar.y + 4 + y) * W + x0 + x) * 3;
          out[o] = out[o + 1] = out[o + 2] = 0;
        }
      const label = um >= 1000 ? `${um / 1000} mm` : `${um} µm`;
      texts.push(`<text x="${x0 + len / 2}" y="15" font-size="12" text-anchor="middle">${label}</text>`);
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${LEGEND_HEIGHT}" font-family="sans-serif" fill="#111">${texts.join('')}</svg>`;
  return sharp(out, { raw: { width: W, height: H, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top, left: 0 }])
    .png()
    .toBuffer();
}
