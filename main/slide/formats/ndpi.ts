// Hamamatsu NDPI (OpenSlide's openslide-vendor-hamamatsu.c, NDPI part): a TIFF dialect with 64-bit offset
// extensions (`ndpi/ndpi-tiff.ts`) whose every directory is one JPEG in one strip. Directories with a
// positive SourceLens (tag 65421) at focal plane 0 are the levels, largest first; SourceLens -1 is the
// macro image; others (-2: the map) are ignored. A level JPEG with restart markers is a grid of restart
// intervals (`ndpi/ndpi-level-jpeg.ts`), which OpenSlide makes its tiles; Tessera's tiles are blocks of
// them spliced into one JPEG each (`ndpi/virtual-tiles.ts`), while the properties state OpenSlide's tile
// sizes. Like OpenSlide, each level whose interval divides by 2, 4 or 8 also yields levels decoded at
// 1/2, 1/4, 1/8 scale (`ndpi/ndpi-pyramid.ts`). Metadata: `ndpi/ndpi-properties.ts`.
import { decodeJpeg } from '../codecs/jpeg.js';
import type { FileSource } from '../file-source.js';
import { ndpiPyramid, type NdpiLevel } from '../ndpi/ndpi-pyramid.js';
import { readHeader, readLevelJpeg, readStrip, type NdpiJpeg, type NdpiStrip } from '../ndpi/ndpi-level-jpeg.js';
import { ndpiMpp, ndpiProperties, ndpiQuickHash } from '../ndpi/ndpi-properties.js';
import { NdpiTag } from '../ndpi/ndpi-tags.js';
import { isNdpiFile, readNdpiTiff } from '../ndpi/ndpi-tiff.js';
import { checkRegionSize } from '../region-reader.js';
import { SlideError } from '../slide-errors.js';
import type { OpenSlideOptions, SlideFormat, SlideReader } from '../slide-reader.js';
import { TiledSlide, type AssociatedImageSource, type TiledSlideParts } from '../tiled-slide.js';
import { TiffTags, type TiffDirectory } from '../tiff/tiff-file.js';
import { tiffProperties } from '../tiff/tiff-properties.js';

export { NdpiTag } from '../ndpi/ndpi-tags.js';
export { ndpiProperties } from '../ndpi/ndpi-properties.js';

export const ndpi: SlideFormat = {
  name: 'hamamatsu-ndpi',

  detect(source: FileSource): Promise<boolean> {
    return isNdpiFile(source);
  },

  async open(source: FileSource, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const path = source.path;
    const tiff = await readNdpiTiff(source);
    const tagsOf = (dir: TiffDirectory) => new TiffTags(dir, tiff.littleEndian, path);
    const jpegs: NdpiJpeg[] = [];
    let macro: AssociatedImageSource | null = null;
    let smallest: NdpiStrip | null = null;
    for (const [index, dir] of tiff.directories.entries()) {
      const tags = tagsOf(dir);
      const lens = tags.number(NdpiTag.SourceLens);
      if (lens === undefined) throw new SlideError('corrupt', `${path} is corrupt: NDPI directory ${index} has no SourceLens tag (${NdpiTag.SourceLens})`);
      if (lens > 0) {
        if ((tags.number(NdpiTag.FocalPlane) ?? 0) !== 0) continue; // other focal planes of a z-stack
        const strip = readStrip(source, tags, index);
        const jpeg = await readLevelJpeg(source, tags, strip, index);
        const previous = jpegs[jpegs.length - 1];
        if (previous && jpeg.width >= previous.width) {
          throw new SlideError('corrupt', `${path} has an unexpected NDPI layout: level directory ${index} (${jpeg.width} wide) is not smaller than the one before it`);
        }
        jpegs.push(jpeg);
        smallest = strip;
      } else if (lens === -1) {
        macro = await macroImage(source, readStrip(source, tags, index), index);
      }
    }
    if (jpegs.length === 0 || !smallest) throw new SlideError('corrupt', `${path} is an NDPI file with no pyramid levels`);
    const first = tagsOf(tiff.directories[0]);
    const properties = { ...tiffProperties(first), ...ndpiProperties(first) };
    const quickHash = await ndpiQuickHash(source, smallest, first);
    if (quickHash) properties['openslide.quickhash-1'] = quickHash;
    const lens = first.number(NdpiTag.SourceLens);
    const levels = ndpiPyramid(source, jpegs);
    return new NdpiSlide(
      {
        vendor: 'hamamatsu',
        source,
        levels: levels.map((l) => l.grid),
        mpp: ndpiMpp(first),
        objectivePower: lens !== undefined && Number.isFinite(lens) && lens > 0 ? lens : null,
        properties,
        associated: macro ? [macro] : [],
      },
      options,
      levels,
    );
  },
};

/** TiledSlide whose `openslide.level[i].tile-width/height` are OpenSlide's (one restart interval), not the virtual tiles'. */
class NdpiSlide extends TiledSlide {
  constructor(parts: TiledSlideParts, options: OpenSlideOptions, levels: readonly NdpiLevel[]) {
    super(parts, options);
    const properties = { ...this.properties };
    levels.forEach((l, i) => {
      properties[`openslide.level[${i}].tile-width`] = String(l.intervalWidth);
      properties[`openslide.level[${i}].tile-height`] = String(l.intervalHeight);
    });
    Object.defineProperty(this, 'properties', { value: Object.freeze(properties), enumerable: true });
  }
}

/** The macro image: one JPEG (any kind libjpeg reads), decoded whole when read. */
async function macroImage(source: FileSource, strip: NdpiStrip, index: number): Promise<AssociatedImageSource> {
  const describe = `${source.path}: the macro image (NDPI directory ${index})`;
  const header = await readHeader(source, strip, describe, false);
  const { width, height } = header;
  if (width < 1 || height < 1) throw new SlideError('corrupt', `${describe} is a JPEG of ${width}×${height} pixels`);
  return {
    name: 'macro',
    width,
    height,
    read: async () => {
      checkRegionSize(width, height);
      const image = await decodeJpeg(await source.read(strip.offset, strip.length), width * height);
      if (image.width !== width || image.height !== height) throw new SlideError('corrupt', `${describe} decoded to ${image.width}×${image.height} pixels`);
      return image;
    },
  };
}
