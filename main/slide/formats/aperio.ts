// Aperio SVS (OpenSlide's openslide-vendor-aperio.c): a TIFF whose first ImageDescription starts with
// "Aperio". Tiled directories are the levels; the stripped ones are thumbnail (the second directory),
// then label and macro, named by the first word of their description's second line.
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import type { OpenSlideOptions, SlideFormat, SlideReader } from '../slide-reader.js';
import { TiledSlide, type AssociatedImageSource } from '../tiled-slide.js';
import type { TileGridLevel } from '../tile-grid.js';
import { TiffFile, TiffTags } from '../tiff/tiff-file.js';
import { isTiled, readTiffImage, type TiffImage } from '../tiff/tiff-image.js';
import { tiffAssociatedImage, tiffLevel } from '../tiff/tiff-level.js';
import { levelDownsample, tiffProperties } from '../tiff/tiff-properties.js';
import { tiffQuickHash } from '../tiff/tiff-quickhash.js';
import { Tag } from '../tiff/tiff-tags.js';

export const aperio: SlideFormat = {
  name: 'aperio',

  async detect(source: FileSource): Promise<boolean> {
    if (!(await TiffFile.isTiff(source))) return false;
    const file = await TiffFile.open(source);
    const description = new TiffTags(file.directories[0], file.littleEndian, source.path).string(Tag.ImageDescription);
    return description?.startsWith('Aperio') ?? false;
  },

  async open(source: FileSource, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const file = await TiffFile.open(source);
    const levels: { image: TiffImage; level: TileGridLevel }[] = [];
    const associated: AssociatedImageSource[] = [];
    const base = readTiffImage(file, file.directories[0]);
    if (!base.tiled) throw new SlideError('corrupt', `${source.path} is an Aperio file whose first image is not tiled`);
    file.directories.forEach((dir, index) => {
      if (isTiled(dir)) {
        const image = index === 0 ? base : readTiffImage(file, dir);
        levels.push({ image, level: tiffLevel(file, image, levelDownsample(base, image)) });
        return;
      }
      const image = readTiffImage(file, dir);
      const name = index === 1 ? 'thumbnail' : associatedName(image.tags.string(Tag.ImageDescription));
      if (name && !associated.some((a) => a.name === name)) associated.push(tiffAssociatedImage(file, image, name));
    });
    levels.sort((a, b) => b.image.width - a.image.width);
    const description = base.tags.string(Tag.ImageDescription) ?? '';
    const properties = { ...tiffProperties(base.tags), ...aperioProperties(description) };
    const mppValue = parseNumber(properties['aperio.MPP']);
    const power = parseNumber(properties['aperio.AppMag']);
    const quickHash = await tiffQuickHash(file, levels[levels.length - 1].image, base.tags);
    if (quickHash) properties['openslide.quickhash-1'] = quickHash;
    if (mppValue !== null) {
      properties['openslide.mpp-x'] = String(mppValue);
      properties['openslide.mpp-y'] = String(mppValue);
    }
    return new TiledSlide(
      {
        vendor: 'aperio',
        source,
        levels: levels.map((l) => l.level),
        mpp: mppValue !== null ? { x: mppValue, y: mppValue } : null,
        objectivePower: power,
        properties,
        associated,
      },
      options,
    );
  },
};

/** `aperio.*` from the description: pipe-separated `key = value` pairs after a free-text header; later keys win. */
export function aperioProperties(description: string): Record<string, string> {
  const p: Record<string, string> = {};
  for (const part of description.split('|').slice(1)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    if (key) p[`aperio.${key}`] = part.slice(eq + 1).trim();
  }
  return p;
}

/** "Aperio Image Library v11\nlabel 387x463" -> "label". */
function associatedName(description: string | undefined): string | null {
  const lines = (description ?? '').split(/\r?\n/);
  const word = lines[1]?.trim().split(/\s+/)[0];
  return word ? word : null;
}

function parseNumber(value: string | undefined): number | null {
  if (value === undefined || value.trim() === '') return null;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : null;
}
