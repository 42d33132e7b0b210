// The `tiff.*` properties and resolution-based MPP, named and formatted as OpenSlide reports them.
import type { TiffTags } from './tiff-file.js';
import { Tag } from './tiff-tags.js';

/** The `tiff.*` string properties, in OpenSlide's order (which `openslide.quickhash-1` hashes too). */
export const TIFF_STRING_TAGS: readonly (readonly [string, number])[] = [
  ['tiff.ImageDescription', Tag.ImageDescription],
  ['tiff.Make', Tag.Make],
  ['tiff.Model', Tag.Model],
  ['tiff.Software', Tag.Software],
  ['tiff.DateTime', Tag.DateTime],
  ['tiff.Artist', Tag.Artist],
  ['tiff.HostComputer', Tag.HostComputer],
  ['tiff.Copyright', Tag.Copyright],
  ['tiff.DocumentName', Tag.DocumentName],
];
// libtiff hands these back as 32-bit floats; OpenSlide prints that float's value.
const FLOAT_TAGS: [string, number][] = [
  ['tiff.XResolution', Tag.XResolution],
  ['tiff.YResolution', Tag.YResolution],
  ['tiff.XPosition', Tag.XPosition],
  ['tiff.YPosition', Tag.YPosition],
];
const UNIT_NAMES: Record<number, string> = { 1: 'none', 2: 'inch', 3: 'centimeter' };

export function tiffProperties(tags: TiffTags): Record<string, string> {
  const p: Record<string, string> = {};
  const description = tags.string(Tag.ImageDescription);
  if (description !== undefined) p['openslide.comment'] = description;
  for (const [name, tag] of TIFF_STRING_TAGS) {
    const v = tags.string(tag);
    if (v !== undefined) p[name] = v;
  }
  for (const [name, tag] of FLOAT_TAGS) {
    const v = tags.number(tag);
    if (v !== undefined && Number.isFinite(v)) p[name] = String(Math.fround(v));
  }
  // libtiff defaults ResolutionUnit to inch when the tag is absent, and OpenSlide reports the default.
  p['tiff.ResolutionUnit'] = resolutionUnitName(tags);
  return p;
}

function resolutionUnitName(tags: TiffTags): string {
  const unit = tags.number(Tag.ResolutionUnit) ?? 2;
  return UNIT_NAMES[unit] ?? 'unknown';
}

/**
 * Microns per pixel from X/YResolution, or null. Centimetres as OpenSlide; inches too (libvips' default unit),
 * but only when the unit is written out: a defaulted inch is the 72-dpi placeholder of ordinary images.
 */
export function resolutionMpp(tags: TiffTags): { x: number; y: number } | null {
  const unit = tags.number(Tag.ResolutionUnit);
  const micronsPerUnit = unit === 3 ? 10000 : unit === 2 ? 25400 : 0;
  const xres = tags.number(Tag.XResolution);
  const yres = tags.number(Tag.YResolution);
  if (!micronsPerUnit || !xres || !yres || !Number.isFinite(xres) || !Number.isFinite(yres) || xres <= 0 || yres <= 0) return null;
  return { x: micronsPerUnit / Math.fround(xres), y: micronsPerUnit / Math.fround(yres) };
}

/** OpenSlide's level downsample: the mean of the width and height ratios to level 0. */
export function levelDownsample(base: { width: number; height: number }, level: { width: number; height: number }): number {
  return (base.width / level.width + base.height / level.height) / 2;
}
