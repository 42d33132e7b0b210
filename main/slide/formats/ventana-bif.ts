// Ventana BIF (OpenSlide 3.4.1's openslide-vendor-ventana.c): a TIFF whose first directory carries an XMP
// packet (tag 700) with an `<iScan>` element (the root, or a child of a `<Metadata>` root); its attributes
// become `ventana.*` properties (Magnification -> objective power, ScanRes -> MPP; `ventana/ventana-xml.ts`).
// Directories described `level=N mag=M …` are the levels, in order with falling magnification
// (downsample = mag0 / mag); "Label Image"/"Label_Image" is the macro, "Thumbnail" the thumbnail. When
// level 0 has an XMP packet too (`<EncodeInfo>`: `ventana/encode-info.ts`), its tiles are the scanner's raw
// camera tiles: they overlap, and OpenSlide places each at a fixed advance, areas at their Pos-X/Pos-Y
// (`ventana/bif-level.ts`). Without EncodeInfo (a "Ventana TIFF") the levels are plain tiled directories.
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import type { OpenSlideOptions, SlideFormat, SlideReader } from '../slide-reader.js';
import { TiledSlide, type AssociatedImageSource } from '../tiled-slide.js';
import type { TileGridLevel } from '../tile-grid.js';
import { TiffFile, TiffTags } from '../tiff/tiff-file.js';
import { readTiffImage, type TiffImage } from '../tiff/tiff-image.js';
import { tiffAssociatedImage, tiffLevel } from '../tiff/tiff-level.js';
import { tiffProperties } from '../tiff/tiff-properties.js';
import { tiffQuickHash } from '../tiff/tiff-quickhash.js';
import { Tag } from '../tiff/tiff-tags.js';
import { bifLevel } from '../ventana/bif-level.js';
import { parseEncodeInfo, type BifLayout } from '../ventana/encode-info.js';
import { iscanElement, iscanProperties, parseLevelInfo, xmpPacket } from '../ventana/ventana-xml.js';
import { parseXml } from './vendor-xml.js';

interface LevelDir {
  image: TiffImage;
  downsample: number;
  grid: TileGridLevel;
}

export const ventanaBif: SlideFormat = {
  name: 'ventana',

  async detect(source: FileSource): Promise<boolean> {
    if (!(await TiffFile.isTiff(source))) return false;
    try {
      const file = await TiffFile.open(source);
      const xml = xmpPacket(file.directories[0]);
      if (typeof xml !== 'string' || !xml.includes('iScan')) return false;
      return iscanElement(parseXml(xml, source.path)) !== null;
    } catch {
      return false;
    }
  },

  async open(source: FileSource, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const path = source.path;
    const file = await TiffFile.open(source);
    const fail = (msg: string): never => {
      throw new SlideError('corrupt', `${path}: Ventana: ${msg}`);
    };
    const initial = xmpPacket(file.directories[0]);
    if (typeof initial !== 'string')
      return fail(initial === null ? 'no XMP packet in the first directory' : 'the first XMP packet is not text');
    const iscan = iscanElement(parseXml(initial, path));
    if (!iscan) return fail("couldn't find the iScan element in the initial XML");
    const { properties, mpp: mppValue } = iscanProperties(iscan);

    const levels: LevelDir[] = [];
    const associated: AssociatedImageSource[] = [];
    const addAssociated = (entry: AssociatedImageSource): void => {
      // OpenSlide's hash table: a later directory of the same name replaces the earlier one.
      const at = associated.findIndex((a) => a.name === entry.name);
      if (at >= 0) associated[at] = entry;
      else associated.push(entry);
    };
    let bif: BifLayout | null = null;
    let nextLevel = 0;
    let prevMagnification = Infinity;
    let level0Magnification = 0;
    for (const [index, dir] of file.directories.entries()) {
      const description = new TiffTags(dir, file.littleEndian, path).string(Tag.ImageDescription);
      if (description === undefined) continue;
      if (description.includes('level=')) {
        const info = parseLevelInfo(description);
        if (!info) return fail(`directory ${index}: can't parse the level description "${description.slice(0, 80)}"`);
        if (info.level !== nextLevel++) return fail(`unexpected encounter with level ${info.level}`);
        if (info.magnification >= prevMagnification) return fail(`unexpected magnification in level ${info.level}`);
        prevMagnification = info.magnification;
        if (info.level === 0) level0Magnification = info.magnification;
        const downsample = level0Magnification / info.magnification;
        if (!Number.isFinite(downsample) || downsample < 1)
          return fail(`level ${info.level} has downsample ${downsample}`);
        const image = readTiffImage(file, dir);
        if (info.level === 0) {
          const xml = xmpPacket(dir);
          if (typeof xml === 'string')
            bif = parseEncodeInfo(parseXml(xml, path), image.tileWidth, image.tileHeight, fail);
          else if (xml !== null) return fail('the level-0 XMP packet is not text');
        }
        if (!image.tiled) return fail(`directory ${index} is not tiled`);
        const level0 = levels[0]?.image ?? image;
        if (image.tileWidth !== level0.tileWidth || image.tileHeight !== level0.tileHeight)
          return fail('inconsistent TIFF tile sizes');
        const plain = tiffLevel(file, image, downsample);
        levels.push({ image, downsample, grid: bif ? bifLevel(plain, image, bif, downsample, fail) : plain });
      } else if (description === 'Label Image' || description === 'Label_Image') {
        addAssociated(tiffAssociatedImage(file, readTiffImage(file, dir), 'macro'));
      } else if (description === 'Thumbnail') {
        addAssociated(tiffAssociatedImage(file, readTiffImage(file, dir), 'thumbnail'));
      }
    }
    if (levels.length === 0) return fail('no pyramid levels in the slide');
    levels.sort((a, b) => b.image.width - a.image.width);
    const level0 = levels[0].image;
    if (bif) {
      bif.areas.forEach((a, i) => {
        properties[`openslide.region[${i}].x`] = String(Math.trunc(bif!.advanceX * a.startCol));
        properties[`openslide.region[${i}].y`] = String(Math.trunc(bif!.advanceY * a.startRow));
        properties[`openslide.region[${i}].width`] = String(
          Math.ceil(bif!.advanceX * (a.tilesAcross - 1) + level0.tileWidth),
        );
        properties[`openslide.region[${i}].height`] = String(
          Math.ceil(bif!.advanceY * (a.tilesDown - 1) + level0.tileHeight),
        );
      });
    }
    Object.assign(properties, tiffProperties(level0.tags));
    const quickHash = await tiffQuickHash(file, levels[levels.length - 1].image, level0.tags);
    if (quickHash) properties['openslide.quickhash-1'] = quickHash;
    const mpp = mppValue > 0 && Number.isFinite(mppValue) ? { x: mppValue, y: mppValue } : null;
    const power = properties['openslide.objective-power'];
    const slide = new TiledSlide(
      {
        vendor: 'ventana',
        source,
        levels: levels.map((l) => l.grid),
        mpp,
        objectivePower: power === undefined ? null : Number(power),
        properties,
        associated,
      },
      options,
    );
    if (!bif) return slide;
    // OpenSlide clears the tile-size hints of BIF levels (overlapping raw tiles have no tile size of their own).
    const shown = Object.fromEntries(
      Object.entries(slide.properties).filter(([k]) => !/^openslide\.level\[\d+\]\.tile-(width|height)$/.test(k)),
    );
    Object.defineProperty(slide, 'properties', { value: Object.freeze(shown), enumerable: true });
    return slide;
  },
};
