// Generic pyramidal TIFF/BigTIFF (OpenSlide's openslide-vendor-generic-tiff.c): the first directory is
// tiled, and every tiled directory that is the first or marked reduced-resolution is a level.
import type { FileSource } from '../file-source.js';
import type { OpenSlideOptions, SlideFormat, SlideReader } from '../slide-reader.js';
import { TiledSlide } from '../tiled-slide.js';
import { TiffFile } from '../tiff/tiff-file.js';
import { isTiled, readTiffImage, type TiffImage } from '../tiff/tiff-image.js';
import { tiffLevel } from '../tiff/tiff-level.js';
import { tiffQuickHash } from '../tiff/tiff-quickhash.js';
import { levelDownsample, resolutionMpp, tiffProperties } from '../tiff/tiff-properties.js';
import { Tag } from '../tiff/tiff-tags.js';

const REDUCED_IMAGE = 1;

export const genericTiff: SlideFormat = {
  name: 'generic-tiff',

  async detect(source: FileSource): Promise<boolean> {
    if (!(await TiffFile.isTiff(source))) return false;
    const file = await TiffFile.open(source);
    return isTiled(file.directories[0]);
  },

  async open(source: FileSource, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const file = await TiffFile.open(source);
    const images: TiffImage[] = [];
    file.directories.forEach((dir, index) => {
      if (!isTiled(dir)) return;
      const image = readTiffImage(file, dir);
      const subfileType = image.tags.number(Tag.NewSubfileType) ?? 0;
      if (index === 0 || subfileType & REDUCED_IMAGE) images.push(image);
    });
    images.sort((a, b) => b.width - a.width);
    const base = images[0];
    const levels = images.map((image) => tiffLevel(file, image, levelDownsample(base, image)));
    const mpp = resolutionMpp(file.directories[0] === base.dir ? base.tags : readTiffImage(file, file.directories[0]).tags);
    const properties = tiffProperties(base.tags);
    const quickHash = await tiffQuickHash(file, images[images.length - 1], base.tags);
    if (quickHash) properties['openslide.quickhash-1'] = quickHash;
    return new TiledSlide({ vendor: 'generic-tiff', source, levels, mpp, objectivePower: null, properties, associated: [] }, options);
  },
};
