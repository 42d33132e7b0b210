// Every slide format, in detection order: the first whose `detect` says yes opens the file. Specific
// vendors come before generic TIFF, which would otherwise claim their files. Adding a vendor (Philips
// TIFF, …) is adding a file beside this one and a line here, with its display name and file extensions.
import type { SlideFormat } from '../slide-reader.js';
import { aperio } from './aperio.js';
import { omeTiff } from './ome-tiff.js';
import { genericTiff } from './generic-tiff.js';
import { dicom } from './dicom.js';
import { ndpi } from './ndpi.js';
import { mirax } from './mirax.js';
import { philips } from './philips.js';
import { leicaScn } from './leica-scn.js';
import { ventanaBif } from './ventana-bif.js';

/** A format as people and file pickers see it. */
export interface SlideFormatEntry {
  format: SlideFormat;
  /** The format's name (its driver's `name`). */
  name: string;
  /** What messages call it. */
  displayName: string;
  /** File extensions, lower case, without the dot. */
  extensions: readonly string[];
}

const entry = (format: SlideFormat, displayName: string, extensions: readonly string[]): SlideFormatEntry => ({
  format,
  name: format.name,
  displayName,
  extensions,
});

// NDPI first: its 64-bit offsets can send a plain TIFF parser astray on files over 4 GB.
export const slideFormatEntries: readonly SlideFormatEntry[] = [
  entry(ndpi, 'Hamamatsu NDPI', ['ndpi']),
  entry(aperio, 'Aperio SVS', ['svs']),
  entry(leicaScn, 'Leica SCN', ['scn']),
  entry(philips, 'Philips TIFF', ['tiff']),
  entry(ventanaBif, 'Ventana BIF', ['bif']),
  entry(omeTiff, 'OME-TIFF', ['ome.tif', 'ome.tiff']),
  entry(genericTiff, 'tiled pyramidal TIFF/BigTIFF', ['tif', 'tiff']),
  entry(dicom, 'DICOM whole-slide (.dcm file or folder)', ['dcm']),
  entry(mirax, '3DHistech MIRAX (.mrxs file beside its folder)', ['mrxs']),
];

export const slideFormats: readonly SlideFormat[] = slideFormatEntries.map((e) => e.format);

/** "Hamamatsu NDPI (.ndpi), Aperio SVS (.svs), …": for "unsupported format" messages. */
export function supportedFormatsText(): string {
  return slideFormatEntries
    .map((e) => (e.displayName.includes('(') ? e.displayName : `${e.displayName} (${e.extensions.map((x) => `.${x}`).join(', ')})`))
    .join(', ');
}
