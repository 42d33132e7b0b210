// OME-TIFF pyramids (OME 6 / Bio-Formats layout): the first directory holds the OME-XML description and
// full resolution; its SubIFDs hold the reduced levels. MPP comes from Pixels PhysicalSizeX/Y.
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import type { OpenSlideOptions, SlideFormat, SlideReader } from '../slide-reader.js';
import { TiledSlide } from '../tiled-slide.js';
import { TiffFile, TiffTags } from '../tiff/tiff-file.js';
import { readTiffImage } from '../tiff/tiff-image.js';
import { tiffLevel } from '../tiff/tiff-level.js';
import { tiffQuickHash } from '../tiff/tiff-quickhash.js';
import { levelDownsample, tiffProperties } from '../tiff/tiff-properties.js';
import { Tag } from '../tiff/tiff-tags.js';

/** Microns per unit for OME's UnitsLength symbols (default µm). */
const MICRONS_PER: Record<string, number> = {
  'µm': 1, 'μm': 1, um: 1, micron: 1, nm: 1e-3, 'Å': 1e-4, mm: 1e3, cm: 1e4, m: 1e6, pm: 1e-6,
};

export const omeTiff: SlideFormat = {
  name: 'ome-tiff',

  async detect(source: FileSource): Promise<boolean> {
    if (!(await TiffFile.isTiff(source))) return false;
    const file = await TiffFile.open(source);
    const description = new TiffTags(file.directories[0], file.littleEndian, source.path).string(Tag.ImageDescription) ?? '';
    return /<OME[\s>]/.test(description);
  },

  async open(source: FileSource, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const file = await TiffFile.open(source);
    const first = file.directories[0];
    const base = readTiffImage(file, first);
    const images = [base, ...first.subDirectories.map((dir) => readTiffImage(file, dir))].sort((a, b) => b.width - a.width);
    if (images[0] !== base) throw new SlideError('corrupt', `${source.path}: an OME-TIFF sub-resolution is larger than the full image`);
    const levels = images.map((image) => tiffLevel(file, image, levelDownsample(base, image)));
    const xml = base.tags.string(Tag.ImageDescription) ?? '';
    const mpp = omePhysicalSize(xml);
    const properties = tiffProperties(base.tags);
    const quickHash = await tiffQuickHash(file, images[images.length - 1], base.tags);
    if (quickHash) properties['openslide.quickhash-1'] = quickHash;
    if (mpp) {
      properties['openslide.mpp-x'] = String(mpp.x);
      properties['openslide.mpp-y'] = String(mpp.y);
    }
    return new TiledSlide({ vendor: 'ome-tiff', source, levels, mpp, objectivePower: omeObjectivePower(xml), properties, associated: [] }, options);
  },
};

/** PhysicalSizeX/Y of the first Pixels element, in microns, or null. */
export function omePhysicalSize(xml: string): { x: number; y: number } | null {
  const pixels = /<(?:\w+:)?Pixels\b[^>]*>/.exec(xml)?.[0];
  if (!pixels) return null;
  const attr = (name: string): string | undefined => new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`).exec(pixels)?.[1];
  const size = (axis: 'X' | 'Y'): number | null => {
    const value = Number(attr(`PhysicalSize${axis}`));
    const scale = MICRONS_PER[attr(`PhysicalSize${axis}Unit`) ?? 'µm'];
    return Number.isFinite(value) && value > 0 && scale ? value * scale : null;
  };
  const x = size('X');
  const y = size('Y');
  return x !== null && y !== null ? { x, y } : null;
}

/** NominalMagnification of the first Objective, or null. */
function omeObjectivePower(xml: string): number | null {
  const m = /<(?:\w+:)?Objective\b[^>]*\bNominalMagnification\s*=\s*"([^"]*)"/.exec(xml);
  const n = m ? Number(m[1]) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}
