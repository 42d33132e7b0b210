// The XML parts of a Ventana BIF that OpenSlide 3.4.1 reads: the XMP packet (TIFF tag 700) of a
// directory, its `<iScan>` element (the root, or a child of a `<Metadata>` root) whose attributes are the
// `ventana.*` properties, and the `level=N mag=M …` descriptions of the level directories.
import { formatDouble } from '../glib-double.js';
import { parseDouble } from '../formats/philips.js';
import { childElements, type XmlElement } from '../formats/vendor-xml.js';
import type { TiffDirectory } from '../tiff/tiff-file.js';

/** TIFFTAG_XMLPACKET (XMP). */
const XMP_TAG = 700;

/** The directory's XMP packet as OpenSlide reads it (a C string: up to the first NUL); null when absent, false when not BYTE/ASCII/UNDEFINED. */
export function xmpPacket(dir: TiffDirectory | undefined): string | null | false {
  const entry = dir?.entries.get(XMP_TAG);
  if (!entry) return null;
  if (entry.type !== 1 && entry.type !== 2 && entry.type !== 7) return false;
  const nul = entry.bytes.indexOf(0);
  return entry.bytes.toString('utf8', 0, nul >= 0 ? nul : entry.bytes.length);
}

const localName = (name: string): string => name.slice(name.indexOf(':') + 1);

/** `/iScan`, or `/Metadata/iScan` (the first such child), else null. */
export function iscanElement(root: XmlElement): XmlElement | null {
  if (localName(root.name) === 'iScan') return root;
  if (localName(root.name) === 'Metadata') return childElements(root).find((c) => localName(c.name) === 'iScan') ?? null;
  return null;
}

/**
 * The `ventana.*` properties from the iScan attributes, and the `openslide.*` ones they give (Magnification:
 * objective power, ScanRes: MPP); `mpp` is ScanRes as a number (NaN when absent or unreadable).
 */
export function iscanProperties(iscan: XmlElement): { properties: Record<string, string>; mpp: number } {
  const properties: Record<string, string> = {};
  for (const [name, value] of Object.entries(iscan.attrs)) {
    // libxml2's xmlGetNoNsProp: namespaced attributes are not read.
    if (!name.includes(':') && name !== 'xmlns' && value) properties[`ventana.${name}`] = value;
  }
  const magnification = properties['ventana.Magnification'];
  if (magnification && /^\s*[+-]?\d+$/.test(magnification)) properties['openslide.objective-power'] = String(BigInt(magnification.trim()));
  const scanRes = properties['ventana.ScanRes'];
  const mpp = scanRes === undefined ? NaN : parseDouble(scanRes);
  if (!Number.isNaN(mpp)) {
    properties['openslide.mpp-x'] = formatDouble(mpp);
    properties['openslide.mpp-y'] = formatDouble(mpp);
  }
  return { properties, mpp };
}

/** `level=N mag=M quality=Q`: space-separated key=value pairs (the last of a key wins); null if level or mag is missing or invalid. */
export function parseLevelInfo(description: string): { level: number; magnification: number } | null {
  const fields = new Map<string, string>();
  for (const pair of description.split(' ')) {
    const eq = pair.indexOf('=');
    if (eq >= 0) fields.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  const level = fields.get('level');
  const mag = fields.get('mag');
  if (level === undefined || mag === undefined || !/^\s*[+-]?\d+$/.test(level)) return null;
  const magnification = parseDouble(mag);
  if (Number.isNaN(magnification)) return null;
  return { level: Number(level), magnification };
}
