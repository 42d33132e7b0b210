// NDPI metadata as OpenSlide 3.4.1 names and formats it: the `hamamatsu.*` properties, MPP, objective
// power and quickhash-1.
import { formatDouble } from '../glib-double.js';
import { createHash } from 'node:crypto';
import type { FileSource } from '../file-source.js';
import type { TiffTags } from '../tiff/tiff-file.js';
import { TIFF_STRING_TAGS } from '../tiff/tiff-properties.js';
import { Tag } from '../tiff/tiff-tags.js';
import type { NdpiStrip } from './ndpi-level-jpeg.js';
import { NdpiTag } from './ndpi-tags.js';

/** OpenSlide refuses to quickhash more than this; the property is left out then. */
const MAX_HASHED_BYTES = 5 << 20;

/** `hamamatsu.*` and the `openslide.*` ones NDPI gives (mpp, objective power), as OpenSlide 3.4.1 names and formats them. */
export function ndpiProperties(tags: TiffTags): Record<string, string> {
  const p: Record<string, string> = {};
  const mpp = ndpiMpp(tags);
  if (mpp) {
    p['openslide.mpp-x'] = formatDouble(mpp.x);
    p['openslide.mpp-y'] = formatDouble(mpp.y);
  }
  const lens = tags.number(NdpiTag.SourceLens);
  if (lens !== undefined && Number.isFinite(lens)) {
    p['hamamatsu.SourceLens'] = formatDouble(lens);
    p['openslide.objective-power'] = formatDouble(lens);
  }
  const x = tags.number(NdpiTag.XOffset);
  if (x !== undefined && Number.isFinite(x)) p['hamamatsu.XOffsetFromSlideCentre'] = String(x);
  const y = tags.number(NdpiTag.YOffset);
  if (y !== undefined && Number.isFinite(y)) p['hamamatsu.YOffsetFromSlideCentre'] = String(y);
  const reference = tags.string(NdpiTag.Reference);
  if (reference !== undefined) p['hamamatsu.Reference'] = reference;
  // The ASCII property map: "key=value" records separated by CRLF; empty keys or values are skipped.
  const map = tags.string(NdpiTag.PropertyMap);
  if (map !== undefined) {
    for (const record of map.split('\r\n')) {
      const eq = record.indexOf('=');
      if (eq <= 0 || eq === record.length - 1) continue;
      p[`hamamatsu.${record.slice(0, eq)}`] = record.slice(eq + 1);
    }
  }
  return p;
}

/** MPP from X/YResolution in pixels per centimetre (OpenSlide reads no other unit for NDPI). */
export function ndpiMpp(tags: TiffTags): { x: number; y: number } | null {
  if ((tags.number(Tag.ResolutionUnit) ?? 2) !== 3) return null;
  const x = tags.number(Tag.XResolution);
  const y = tags.number(Tag.YResolution);
  if (!x || !y || !Number.isFinite(x) || !Number.isFinite(y) || x <= 0 || y <= 0) return null;
  return { x: 10000 / x, y: 10000 / y };
}

/** OpenSlide's quickhash-1 for NDPI: SHA-256 of the smallest level's strip, then the `tiff.*` strings of the first directory. */
export async function ndpiQuickHash(source: FileSource, strip: NdpiStrip, tags: TiffTags): Promise<string | null> {
  if (strip.length > MAX_HASHED_BYTES) return null;
  const hash = createHash('sha256');
  hash.update(await source.read(strip.offset, strip.length));
  const nul = Buffer.from([0]);
  for (const [name, tag] of TIFF_STRING_TAGS) {
    hash.update(name);
    hash.update(nul);
    const value = tags.string(tag);
    if (value !== undefined) hash.update(value, 'utf8');
    hash.update(nul);
  }
  return hash.digest('hex');
}
