// Philips TIFF (OpenSlide 3.4.1's openslide-vendor-philips.c): a TIFF whose Software starts with "Philips"
// and whose first ImageDescription is a `<DataObject ObjectType="DPUfsImport">` XML document. Tiled
// directories are the levels (each after the first must be reduced-resolution, sizes not growing); the
// level downsamples and sizes come from the WSI image's PixelDataRepresentation pixel spacings (rounded to
// whole downsamples, levels clipped to level 0 / downsample: Philips pads its levels). Tiles with a byte
// count of 0 are missing (multi-ROI slides are sparse) and read as transparent. Label and macro are
// stripped directories described "Label…"/"Macro…", or base64 JPEGs in the XML (PIM_DP_IMAGE_DATA).
import { formatDouble } from '../glib-double.js';
import type { FileSource } from '../file-source.js';
import type { RgbaImage } from '../codecs/rgba.js';
import { decodeJpeg } from '../codecs/jpeg.js';
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
import { attr, childElements, elementText, parseXml, textNodes, type XmlElement } from './vendor-xml.js';

const REDUCED_IMAGE = 1;
/** Largest base64 associated image accepted from the XML. */
const MAX_XML_IMAGE_BYTES = 64 * 1024 * 1024;

export const philips: SlideFormat = {
  name: 'philips',

  async detect(source: FileSource): Promise<boolean> {
    if (!(await TiffFile.isTiff(source))) return false;
    try {
      const file = await TiffFile.open(source);
      const tags = new TiffTags(file.directories[0], file.littleEndian, source.path);
      if (!(tags.string(Tag.Software) ?? '').startsWith('Philips')) return false;
      const description = tags.string(Tag.ImageDescription);
      if (description === undefined) return false;
      const root = parseXml(description, source.path);
      return root.name === 'DataObject' && attr(root, 'ObjectType') === 'DPUfsImport';
    } catch {
      return false;
    }
  },

  async open(source: FileSource, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const path = source.path;
    const file = await TiffFile.open(source);
    const first = readTiffImage(file, file.directories[0]);
    const description = first.tags.string(Tag.ImageDescription);
    if (description === undefined) throw new SlideError('corrupt', `${path} is a Philips TIFF without its XML ImageDescription`);
    const root = parseXml(description, path);
    if (root.name !== 'DataObject' || attr(root, 'ObjectType') !== 'DPUfsImport') {
      throw new SlideError('corrupt', `${path}: the Philips XML's root is not a DPUfsImport DataObject`);
    }
    const wsiImages = scannedImages(root, 'WSI');
    if (wsiImages.length !== 1) throw new SlideError('corrupt', `${path}: expected one WSI image in the Philips XML, found ${wsiImages.length}`);

    const images: TiffImage[] = [];
    const associated: AssociatedImageSource[] = [];
    file.directories.forEach((dir, index) => {
      const image = index === 0 ? first : readTiffImage(file, dir);
      if (isTiled(dir)) {
        const prev = images[images.length - 1];
        if (prev) {
          if (!((image.tags.number(Tag.NewSubfileType) ?? 0) & REDUCED_IMAGE)) {
            throw new SlideError('corrupt', `${path}: directory ${index} is not reduced-resolution`);
          }
          if (image.width > prev.width || image.height > prev.height) throw new SlideError('corrupt', `${path}: unexpected dimensions for directory ${index}`);
        }
        images.push(image);
        return;
      }
      const desc = image.tags.string(Tag.ImageDescription);
      const name = desc?.startsWith('Label') ? 'label' : desc?.startsWith('Macro') ? 'macro' : null;
      if (name) {
        // OpenSlide's hash table: a later directory of the same name replaces the earlier one.
        const at = associated.findIndex((a) => a.name === name);
        const entry = tiffAssociatedImage(file, image, name);
        if (at >= 0) associated[at] = entry;
        else associated.push(entry);
      }
    });
    if (images.length === 0) throw new SlideError('corrupt', `${path} is a Philips TIFF with no tiled levels`);

    // Downsamples and clipped sizes from the pixel spacings, as OpenSlide's fix_level_dimensions.
    const spacings = levelSpacings(wsiImages[0]);
    if (spacings.length !== images.length) {
      throw new SlideError('corrupt', `${path}: the Philips XML lists ${spacings.length} pixel spacings for ${images.length} levels`);
    }
    const levels: TileGridLevel[] = images.map((image, i) => {
      const s = parsePixelSpacing(spacings[i]);
      if (!s) throw new SlideError('corrupt', `${path}: level ${i}: couldn't parse pixel spacing "${spacings[i]}"`);
      const s0 = parsePixelSpacing(spacings[0])!;
      const downsample = i === 0 ? 1 : Math.round((s.w / s0.w + s.h / s0.h) / 2);
      if (!Number.isFinite(downsample) || downsample < 1) throw new SlideError('corrupt', `${path}: level ${i} has downsample ${downsample}`);
      const width = i === 0 ? image.width : Math.trunc(images[0].width / downsample);
      const height = i === 0 ? image.height : Math.trunc(images[0].height / downsample);
      if (width < 1 || height < 1) throw new SlideError('corrupt', `${path}: level ${i} is ${width}×${height} pixels`);
      return sparseLevel(file, image, downsample, width, height);
    });

    const properties = tiffProperties(first.tags);
    delete properties['openslide.comment'];
    delete properties['tiff.ImageDescription'];
    const quickHash = await tiffQuickHash(file, images[images.length - 1], first.tags);
    if (quickHash) properties['openslide.quickhash-1'] = quickHash;
    Object.assign(properties, philipsProperties(root));
    let mpp: { x: number; y: number } | null = null;
    const spacing = properties['philips.DICOM_PIXEL_SPACING'];
    const parsed = spacing === undefined ? null : parsePixelSpacing(spacing);
    if (parsed) {
      const mx = 1e3 * parsed.w;
      const my = 1e3 * parsed.h;
      properties['openslide.mpp-x'] = formatDouble(mx);
      properties['openslide.mpp-y'] = formatDouble(my);
      if (mx > 0 && my > 0) mpp = { x: mx, y: my };
    }

    // Associated images from the XML, unless a directory gave them; errors are not fatal (as OpenSlide).
    for (const [name, type] of [
      ['label', 'LABELIMAGE'],
      ['macro', 'MACROIMAGE'],
    ] as const) {
      if (associated.some((a) => a.name === name)) continue;
      const image = await xmlAssociatedImage(root, name, type).catch(() => null);
      if (image) associated.push(image);
    }

    return new TiledSlide({ vendor: 'philips', source, levels, mpp, objectivePower: null, properties, associated }, options);
  },
};

/** `PIM_DP_SCANNED_IMAGES/Array/DataObject` elements whose PIM_DP_IMAGE_TYPE is `type` (XPath's existential test). */
function scannedImages(root: XmlElement, type: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const a of childElements(root, 'Attribute')) {
    if (attr(a, 'Name') !== 'PIM_DP_SCANNED_IMAGES') continue;
    for (const array of childElements(a, 'Array')) out.push(...childElements(array, 'DataObject').filter((d) => isImageType(d, type)));
  }
  return out;
}

function isImageType(dataObject: XmlElement, type: string): boolean {
  const attrs = childElements(dataObject, 'Attribute');
  return attrs.some((a) => attr(a, 'Name') === 'PIM_DP_IMAGE_TYPE') && attrs.some((a) => textNodes(a).includes(type));
}

/** The text nodes of every PixelDataRepresentation's DICOM_PIXEL_SPACING, in document order. */
function levelSpacings(wsi: XmlElement): string[] {
  const out: string[] = [];
  for (const seq of childElements(wsi, 'Attribute')) {
    if (attr(seq, 'Name') !== 'PIIM_PIXEL_DATA_REPRESENTATION_SEQUENCE') continue;
    for (const array of childElements(seq, 'Array')) {
      for (const rep of childElements(array, 'DataObject')) {
        if (attr(rep, 'ObjectType') !== 'PixelDataRepresentation') continue;
        for (const a of childElements(rep, 'Attribute')) if (attr(a, 'Name') === 'DICOM_PIXEL_SPACING') out.push(...textNodes(a));
      }
    }
  }
  return out;
}

/** `"0.00025" "0.00025"` (mm; row spacing, then column spacing) -> w (column), h (row) in mm; null if malformed. */
export function parsePixelSpacing(spacing: string): { w: number; h: number } | null {
  const parts = spacing.split(' ');
  if (parts.length !== 2) return null;
  const [h, w] = parts.map((p) => parseDouble(p.replaceAll('"', ' ').trim()));
  return Number.isNaN(w) || Number.isNaN(h) ? null : { w, h };
}

/** OpenSlide's _openslide_parse_double: commas as decimal points, the whole string a number, else NaN. */
export function parseDouble(value: string): number {
  const s = value.replaceAll(',', '.');
  if (!/^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s) && !/^\s*[+-]?(inf|infinity|nan)$/i.test(s)) return NaN;
  const n = Number(s.trim().replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
  return Number.isFinite(n) ? n : NaN;
}

/** `philips.*` as OpenSlide's add_properties: leaf Attributes by Name, the first WSI image's, and each PixelDataRepresentation's. */
export function philipsProperties(root: XmlElement): Record<string, string> {
  const p: Record<string, string> = {};
  const add = (prefix: string, attributes: XmlElement[]): void => {
    for (const node of attributes) {
      const name = attr(node, 'Name');
      if (name === undefined) continue;
      if (name === 'PIM_DP_SCANNED_IMAGES') {
        for (const array of childElements(node, 'Array')) {
          const wsi = childElements(array, 'DataObject').find((d) => isImageType(d, 'WSI'));
          if (wsi) add(prefix, childElements(wsi, 'Attribute'));
        }
      } else if (name === 'PIIM_PIXEL_DATA_REPRESENTATION_SEQUENCE') {
        let i = 0;
        for (const array of childElements(node, 'Array')) {
          for (const d of childElements(array, 'DataObject')) add(`${prefix}.${name}[${i++}]`, childElements(d, 'Attribute'));
        }
      } else if (childElements(node).length === 0) {
        p[`${prefix}.${name}`] = elementText(node);
      }
    }
  };
  add('philips', childElements(root, 'Attribute'));
  return p;
}

async function xmlAssociatedImage(root: XmlElement, name: string, type: string): Promise<AssociatedImageSource | null> {
  const image = scannedImages(root, type)[0];
  const data = image && childElements(image, 'Attribute').find((a) => attr(a, 'Name') === 'PIM_DP_IMAGE_DATA');
  if (!data) return null;
  const text = elementText(data);
  if (text.length > (MAX_XML_IMAGE_BYTES * 4) / 3 + 4) return null;
  const jpeg = Buffer.from(text.replace(/\s+/g, ''), 'base64');
  const decoded = await decodeJpeg(jpeg, MAX_XML_IMAGE_BYTES);
  return { name, width: decoded.width, height: decoded.height, read: () => decodeJpeg(jpeg, MAX_XML_IMAGE_BYTES) };
}

/** A TIFF level whose empty tiles (byte count 0) are transparent, clipped to `width` × `height`. */
function sparseLevel(file: TiffFile, image: TiffImage, downsample: number, width: number, height: number): TileGridLevel {
  const base = tiffLevel(file, image, downsample);
  const missing = (col: number, row: number): boolean => image.byteCounts[row * image.tilesAcross + col] === 0;
  return {
    ...base,
    width,
    height,
    decodeTile(col: number, row: number): Promise<RgbaImage> {
      if (missing(col, row)) {
        return Promise.resolve({ data: Buffer.alloc(image.tileWidth * image.tileHeight * 4), width: image.tileWidth, height: image.tileHeight, channels: 4 });
      }
      return base.decodeTile(col, row);
    },
    readNativeTile(col: number, row: number) {
      return missing(col, row) ? Promise.resolve(null) : base.readNativeTile(col, row);
    },
  };
}
