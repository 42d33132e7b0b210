// Leica SCN (OpenSlide 3.4.1's openslide-vendor-leica.c): a tiled TIFF whose first ImageDescription is
// `<scn xmlns="http://www.leica-microsystems.com/scn/2010/10/01">` (or the 2010/03/10 namespace). The
// collection holds images; an image whose view covers the whole collection is the macro, the others
// (brightfield only, z-plane 0) are main images, composited at their view offsets onto one canvas the
// size of the collection. Each main image's `pixels/dimension` elements (by width, largest first) name
// the TIFF directory of each level. MPP comes from level 0's X/YResolution in centimetres.
import type { FileSource } from '../file-source.js';
import type { RgbaImage } from '../codecs/rgba.js';
import { copyRegion } from '../region-reader.js';
import { SlideError } from '../slide-errors.js';
import type { OpenSlideOptions, SlideFormat, SlideReader } from '../slide-reader.js';
import { TiledSlide, type AssociatedImageSource } from '../tiled-slide.js';
import type { TileGridLevel } from '../tile-grid.js';
import { TiffFile, TiffTags } from '../tiff/tiff-file.js';
import { isTiled, readTiffImage, type TiffImage } from '../tiff/tiff-image.js';
import { tiffAssociatedImage, tiffLevel } from '../tiff/tiff-level.js';
import { tiffProperties } from '../tiff/tiff-properties.js';
import { tiffQuickHash } from '../tiff/tiff-quickhash.js';
import { Tag } from '../tiff/tiff-tags.js';
import { formatDouble } from '../glib-double.js';
import { attr, childElements, intAttr, parseXml, textNodes, type XmlElement } from './vendor-xml.js';

const NAMESPACES = ['http://www.leica-microsystems.com/scn/2010/03/10', 'http://www.leica-microsystems.com/scn/2010/10/01'];
const BRIGHTFIELD = 'brightfield';

interface Dimension {
  dir: number;
  width: number;
  height: number;
  nmPerPixel: number;
}

interface ScnImage {
  creationDate?: string;
  deviceModel?: string;
  deviceVersion?: string;
  illumination?: string;
  objective?: string;
  aperture?: string;
  isMacro: boolean;
  nmOffsetX: number;
  nmOffsetY: number;
  dimensions: Dimension[];
}

interface Collection {
  barcode?: string;
  nmAcross: number;
  nmDown: number;
  images: ScnImage[];
}

export const leicaScn: SlideFormat = {
  name: 'leica',

  async detect(source: FileSource): Promise<boolean> {
    if (!(await TiffFile.isTiff(source))) return false;
    try {
      const file = await TiffFile.open(source);
      if (!isTiled(file.directories[0])) return false;
      const description = new TiffTags(file.directories[0], file.littleEndian, source.path).string(Tag.ImageDescription);
      if (!description || !NAMESPACES.some((ns) => description.includes(ns))) return false;
      return NAMESPACES.includes(attr(parseXml(description, source.path), 'xmlns') ?? '');
    } catch {
      return false;
    }
  },

  async open(source: FileSource, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const path = source.path;
    const file = await TiffFile.open(source);
    const description = new TiffTags(file.directories[0], file.littleEndian, path).string(Tag.ImageDescription);
    if (description === undefined) throw new SlideError('corrupt', `${path}: couldn't read the Leica ImageDescription`);
    const collection = parseCollection(parseXml(description, path), path);
    const properties: Record<string, string> = {};
    const set = (name: string, value: string | undefined): void => {
      if (value !== undefined) properties[name] = value;
    };
    set('leica.barcode', collection.barcode);
    const legacyQuickHash = collection.images.filter((i) => !i.isMacro).every((i) => i.illumination === BRIGHTFIELD) && collection.images.filter((i) => !i.isMacro).length === 1 && collection.images.filter((i) => i.isMacro).length <= 1;

    const image = (dir: number): TiffImage => {
      const d = file.directories[dir];
      if (!Number.isInteger(dir) || !d) throw new SlideError('corrupt', `${path}: the Leica XML names TIFF directory ${dir}, which does not exist`);
      return readTiffImage(file, d);
    };
    let first: ScnImage | null = null;
    const levels: { nmPerPixel: number; areas: { image: TiffImage; nmX: number; nmY: number }[] }[] = [];
    let quickHashDir = -1;
    for (const img of collection.images) {
      if (img.isMacro || img.illumination !== BRIGHTFIELD) continue;
      if (!first) {
        first = img;
        set('leica.aperture', img.aperture);
        set('leica.creation-date', img.creationDate);
        set('leica.device-model', img.deviceModel);
        set('leica.device-version', img.deviceVersion);
        set('leica.illumination-source', img.illumination);
        set('leica.objective', img.objective);
        const objective = img.objective;
        if (objective && /^\s*[+-]?\d+$/.test(objective)) properties['openslide.objective-power'] = String(BigInt(objective.trim()));
      }
      if (img.illumination !== first.illumination || img.objective !== first.objective || img.dimensions.length !== first.dimensions.length) {
        throw new SlideError('unsupported-feature', `${path}: slides with dissimilar main images are not supported`);
      }
      img.dimensions.forEach((dim, i) => {
        if (img === first) levels.push({ nmPerPixel: dim.nmPerPixel, areas: [] });
        const level = levels[i];
        if (img !== first) {
          level.nmPerPixel = Math.min(level.nmPerPixel, dim.nmPerPixel);
          const ref = first!.dimensions[i].nmPerPixel;
          if (1 - Math.abs(dim.nmPerPixel - ref) / ref < 0.98) throw new SlideError('corrupt', `${path}: inconsistent main image resolutions`);
        }
        const tiff = image(dim.dir);
        if (!tiff.tiled) throw new SlideError('corrupt', `${path}: TIFF directory ${dim.dir} of a level is not tiled`);
        level.areas.push({ image: tiff, nmX: img.nmOffsetX, nmY: img.nmOffsetY });
      });
      if (legacyQuickHash && img === first) quickHashDir = img.dimensions[img.dimensions.length - 1]?.dir ?? -1;
    }
    if (!first || levels.length === 0) throw new SlideError('corrupt', `${path}: can't find the Leica main image`);

    const associated: AssociatedImageSource[] = [];
    for (const img of collection.images) {
      if (!img.isMacro || img.illumination !== BRIGHTFIELD) continue;
      if (associated.length) throw new SlideError('corrupt', `${path}: found multiple macro images`);
      if (!img.dimensions.length) throw new SlideError('corrupt', `${path}: the macro image has no dimensions`);
      associated.push(tiffAssociatedImage(file, image(img.dimensions[0].dir), 'macro'));
      if (!legacyQuickHash) quickHashDir = img.dimensions[img.dimensions.length - 1].dir;
    }
    if (quickHashDir < 0) throw new SlideError('corrupt', `${path}: couldn't locate the TIFF directory for the quickhash`);

    const grids: TileGridLevel[] = levels.map((l) => {
      const width = Math.ceil(collection.nmAcross / l.nmPerPixel);
      const height = Math.ceil(collection.nmDown / l.nmPerPixel);
      const areas = l.areas.map((a) => ({ grid: tiffLevel(file, a.image, 1), x: Math.trunc(a.nmX / l.nmPerPixel), y: Math.trunc(a.nmY / l.nmPerPixel) }));
      return compositeLevel(width, height, areas);
    });
    const base = grids[0];
    for (const g of grids) g.downsample = (base.width / g.width + base.height / g.height) / 2;

    const propertyImage = levels[0].areas[0].image;
    Object.assign(properties, tiffProperties(propertyImage.tags));
    delete properties['openslide.comment'];
    delete properties['tiff.ImageDescription'];
    const quickHash = await tiffQuickHash(file, image(quickHashDir), propertyImage.tags);
    if (quickHash) properties['openslide.quickhash-1'] = quickHash;
    let mpp: { x: number; y: number } | null = null;
    const unit = propertyImage.tags.number(Tag.ResolutionUnit) ?? 2;
    const xres = propertyImage.tags.number(Tag.XResolution);
    const yres = propertyImage.tags.number(Tag.YResolution);
    if (unit === 3) {
      if (xres !== undefined) properties['openslide.mpp-x'] = formatDouble(10000 / Math.fround(xres));
      if (yres !== undefined) properties['openslide.mpp-y'] = formatDouble(10000 / Math.fround(yres));
      if (xres && yres && xres > 0 && yres > 0) mpp = { x: 10000 / Math.fround(xres), y: 10000 / Math.fround(yres) };
    }
    // Region bounds, as OpenSlide reports them for level 0's areas.
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    levels[0].areas.forEach((a, n) => {
      const x = Math.trunc(a.nmX / levels[0].nmPerPixel);
      const y = Math.trunc(a.nmY / levels[0].nmPerPixel);
      properties[`openslide.region[${n}].x`] = String(x);
      properties[`openslide.region[${n}].y`] = String(y);
      properties[`openslide.region[${n}].width`] = String(a.image.width);
      properties[`openslide.region[${n}].height`] = String(a.image.height);
      x0 = Math.min(x0, x);
      y0 = Math.min(y0, y);
      x1 = Math.max(x1, x + a.image.width);
      y1 = Math.max(y1, y + a.image.height);
    });
    properties['openslide.bounds-x'] = String(x0);
    properties['openslide.bounds-y'] = String(y0);
    properties['openslide.bounds-width'] = String(x1 - x0);
    properties['openslide.bounds-height'] = String(y1 - y0);
    const power = properties['openslide.objective-power'];
    const slide = new TiledSlide(
      { vendor: 'leica', source, levels: grids, mpp, objectivePower: power === undefined ? null : Number(power), properties, associated },
      options,
    );
    // OpenSlide's Leica levels are composites of areas with no tile size of their own: no level tile-size properties.
    const shown = Object.fromEntries(Object.entries(slide.properties).filter(([k]) => !/^openslide\.level\[\d+\]\.tile-(width|height)$/.test(k)));
    Object.defineProperty(slide, 'properties', { value: Object.freeze(shown), enumerable: true });
    return slide;
  },
};

function parseCollection(root: XmlElement, path: string): Collection {
  const fail = (msg: string): never => {
    throw new SlideError('corrupt', `${path}: Leica XML: ${msg}`);
  };
  if (root.name !== 'scn' || !NAMESPACES.includes(attr(root, 'xmlns') ?? '')) fail('the root is not an scn element in a Leica namespace');
  const collections = childElements(root, 'collection');
  if (collections.length !== 1) fail("can't find the collection element");
  const c = collections[0];
  const int = (el: XmlElement, name: string): number => intAttr(el, name, fail);
  const firstText = (el: XmlElement | undefined): string | undefined => (el ? textNodes(el)[0] : undefined);
  const child = (el: XmlElement | undefined, ...names: string[]): XmlElement | undefined => {
    let cur = el;
    for (const n of names) cur = cur && childElements(cur, n)[0];
    return cur;
  };
  const barcodeEl = child(c, 'barcode');
  const barcodeText = firstText(barcodeEl);
  const barcode = barcodeText !== undefined ? Buffer.from(barcodeText, 'base64').toString('utf8').split('\0')[0] : attr(c, 'barcode');
  const nmAcross = int(c, 'sizeX');
  const nmDown = int(c, 'sizeY');
  const imageEls = childElements(c, 'image');
  if (!imageEls.length) fail("can't find any images");
  const images = imageEls.map((el): ScnImage => {
    const views = childElements(el, 'view');
    if (views.length !== 1) fail("can't find the view node");
    const view = views[0];
    const device = child(el, 'device');
    const nmAcrossImage = int(view, 'sizeX');
    const nmDownImage = int(view, 'sizeY');
    const nmOffsetX = int(view, 'offsetX');
    const nmOffsetY = int(view, 'offsetY');
    const dimensions: Dimension[] = [];
    for (const pixels of childElements(el, 'pixels')) {
      for (const d of childElements(pixels, 'dimension')) {
        const z = attr(d, 'z');
        if (z !== undefined && z !== '0') continue;
        const width = int(d, 'sizeX');
        dimensions.push({ dir: int(d, 'ifd'), width, height: int(d, 'sizeY'), nmPerPixel: nmAcrossImage / width });
      }
    }
    if (!dimensions.length) fail("can't find any dimensions in an image");
    dimensions.sort((a, b) => b.width - a.width);
    const settings = child(el, 'scanSettings');
    return {
      creationDate: firstText(child(el, 'creationDate')),
      deviceModel: device && attr(device, 'model'),
      deviceVersion: device && attr(device, 'version'),
      illumination: firstText(child(settings, 'illuminationSettings', 'illuminationSource')),
      objective: firstText(child(settings, 'objectiveSettings', 'objective')),
      aperture: firstText(child(settings, 'illuminationSettings', 'numericalAperture')),
      isMacro: nmOffsetX === 0 && nmOffsetY === 0 && nmAcrossImage === nmAcross && nmDownImage === nmDown,
      nmOffsetX,
      nmOffsetY,
      dimensions,
    };
  });
  return { barcode, nmAcross, nmDown, images };
}

/** One level drawn from several TIFF images (areas) at pixel offsets on a transparent canvas, in virtual tiles. */
function compositeLevel(width: number, height: number, areas: { grid: TileGridLevel; x: number; y: number }[]): TileGridLevel {
  const tw = areas[0].grid.tileWidth;
  const th = areas[0].grid.tileHeight;
  const single = areas.length === 1 && areas[0].x === 0 && areas[0].y === 0 ? areas[0].grid : null;
  return {
    width,
    height,
    downsample: 1,
    tileWidth: tw,
    tileHeight: th,
    tilesAcross: Math.ceil(width / tw),
    tilesDown: Math.ceil(height / th),
    async decodeTile(col: number, row: number): Promise<RgbaImage> {
      const out = Buffer.alloc(tw * th * 4);
      for (const a of areas) {
        const piece = await copyRegion(a.grid, (c, r) => a.grid.decodeTile(c, r), col * tw - a.x, row * th - a.y, tw, th);
        for (let i = 0; i < out.length; i += 4) if (piece.data[i + 3]) piece.data.copy(out, i, i, i + 4);
      }
      return { data: out, width: tw, height: th, channels: 4 };
    },
    async readNativeTile(col: number, row: number) {
      if (!single || col >= single.tilesAcross || row >= single.tilesDown) return null;
      return single.readNativeTile(col, row);
    },
  };
}
