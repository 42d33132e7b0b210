// What Slidedat.ini says about a MIRAX slide's layout, checked as OpenSlide 3.4.1 checks it: the camera
// image grid, the zoom levels (sections: concat factor, overlap, MPP, image size and format), the data and
// index file names, and which non-hierarchical records hold the camera positions and associated images.
import { SlideError } from '../slide-errors.js';
import type { Slidedat } from './slidedat.js';

const GENERAL = 'GENERAL';
const HIER = 'HIERARCHICAL';
const DATAFILE = 'DATAFILE';
const MAX_IMAGES = 1 << 22;

export type MiraxImageFormat = 'jpeg' | 'png' | 'bmp';

/** One zoom level's section of Slidedat.ini. */
export interface ZoomSection {
  concatExponent: number;
  overlapX: number;
  overlapY: number;
  mppX: number;
  mppY: number;
  fillBgr: number;
  format: MiraxImageFormat;
  imageW: number;
  imageH: number;
}

export interface MiraxSlideLayout {
  slideId: string;
  /** Camera images across and down (a photo is divisions² of them). */
  imagesX: number;
  imagesY: number;
  divisions: number;
  objective: number;
  indexName: string;
  fileNames: string[];
  sections: ZoomSection[];
  /** Record number of VIMSLIDE_POSITION_BUFFER, else of StitchingIntensityLayer (zlib), else -1 each. */
  vimslideRecord: number;
  stitchingRecord: number;
  /** Associated image name → non-hierarchical record number (-1: none). */
  associatedRecords: [string, number][];
}

export function readSlideLayout(ini: Slidedat, iniPath: string): MiraxSlideLayout {
  for (const g of [GENERAL, HIER, DATAFILE]) if (!ini.has(g)) throw new SlideError('corrupt', `${iniPath} is corrupt: it has no [${g}] group`);
  ini.value(GENERAL, 'SLIDE_VERSION');
  const slideId = ini.value(GENERAL, 'SLIDE_ID');
  const imagesX = ini.integer(GENERAL, 'IMAGENUMBER_X');
  const imagesY = ini.integer(GENERAL, 'IMAGENUMBER_Y');
  const objective = ini.integer(GENERAL, 'OBJECTIVE_MAGNIFICATION');
  // Absent or unreadable: 1, as OpenSlide.
  const divisionsText = ini.optional(GENERAL, 'CameraImageDivisionsPerSide');
  const divisions = divisionsText !== undefined && /^\s*[-+]?\d+\s*$/.test(divisionsText) ? ini.integer(GENERAL, 'CameraImageDivisionsPerSide') : 1;
  positive(imagesX, 'IMAGENUMBER_X', iniPath);
  positive(imagesY, 'IMAGENUMBER_Y', iniPath);
  positive(divisions, 'CameraImageDivisionsPerSide', iniPath);
  if (imagesX * imagesY > MAX_IMAGES) throw new SlideError('too-large', `${iniPath}: ${imagesX}×${imagesY} camera images are more than Tessera reads (${MAX_IMAGES})`);
  const hierCount = ini.integer(HIER, 'HIER_COUNT');
  const nonhierCount = ini.integer(HIER, 'NONHIER_COUNT');
  positive(hierCount, 'HIER_COUNT', iniPath);
  positive(nonhierCount, 'NONHIER_COUNT', iniPath, true);
  let zoomHier = -1;
  for (let i = 0; i < hierCount; i++) {
    if (ini.value(HIER, `HIER_${i}_NAME`) === 'Slide zoom level') {
      zoomHier = i;
      break;
    }
  }
  if (zoomHier === -1) throw new SlideError('corrupt', `${iniPath} is corrupt: no HIER_n_NAME is "Slide zoom level"`);
  if (zoomHier !== 0) throw new SlideError('unsupported-feature', `${iniPath}: the slide zoom level is not HIER_0`);
  const indexName = ini.value(HIER, 'INDEXFILE');
  const zoomLevels = ini.integer(HIER, `HIER_0_COUNT`);
  positive(zoomLevels, 'HIER_0_COUNT', iniPath);
  if (zoomLevels > 32) throw new SlideError('corrupt', `${iniPath} is corrupt: ${zoomLevels} zoom levels`);
  const sectionNames = Array.from({ length: zoomLevels }, (_, i) => ini.value(HIER, `HIER_0_VAL_${i}_SECTION`));
  const fileCount = ini.integer(DATAFILE, 'FILE_COUNT');
  positive(fileCount, 'FILE_COUNT', iniPath);
  if (fileCount > 65536) throw new SlideError('corrupt', `${iniPath} is corrupt: FILE_COUNT is ${fileCount}`);
  const fileNames = Array.from({ length: fileCount }, (_, i) => ini.value(DATAFILE, `FILE_${i}`));
  const sections = sectionNames.map((group, i) => zoomSection(ini, group, iniPath, i === 0));

  // Non-hierarchical records: record number = values of the names before + index among this name's values.
  const nonhierNames: { name: string; offset: number; count: number; index: number }[] = [];
  let offset = 0;
  for (let i = 0; i < nonhierCount; i++) {
    const name = ini.value(HIER, `NONHIER_${i}_NAME`);
    const count = ini.integer(HIER, `NONHIER_${i}_COUNT`);
    if (count === 0) throw new SlideError('corrupt', `${iniPath} is corrupt: NONHIER_${i}_COUNT is zero`);
    nonhierNames.push({ name, offset, count, index: i });
    offset += count;
  }
  const nonhierOffset = (name: string) => nonhierNames.find((n) => n.name === name)?.offset ?? -1;
  const associatedRecord = (value: string, formatKey: string): number => {
    const n = nonhierNames.find((x) => x.name === 'Scan data layer');
    if (!n) return -1;
    for (let i = 0; i < n.count; i++) {
      if (ini.value(HIER, `NONHIER_${n.index}_VAL_${i}`) !== value) continue;
      const section = ini.value(HIER, `NONHIER_${n.index}_VAL_${i}_SECTION`);
      const format = ini.value(section, formatKey);
      if (format !== 'JPEG') throw new SlideError('unsupported-feature', `${iniPath}: unsupported associated image format ${format}`);
      return n.offset + i;
    }
    return -1;
  };
  const vimslideRecord = nonhierOffset('VIMSLIDE_POSITION_BUFFER');
  const stitchingRecord = vimslideRecord === -1 ? nonhierOffset('StitchingIntensityLayer') : -1;
  const associatedRecords: [string, number][] = [
    ['macro', associatedRecord('ScanDataLayer_SlideThumbnail', 'THUMBNAIL_IMAGE_TYPE')],
    ['label', associatedRecord('ScanDataLayer_SlideBarcode', 'BARCODE_IMAGE_TYPE')],
    ['thumbnail', associatedRecord('ScanDataLayer_SlidePreview', 'PREVIEW_IMAGE_TYPE')],
  ];
  return { slideId, imagesX, imagesY, divisions, objective, indexName, fileNames, sections, vimslideRecord, stitchingRecord, associatedRecords };
}

function zoomSection(ini: Slidedat, group: string, iniPath: string, first: boolean): ZoomSection {
  if (!ini.has(group)) throw new SlideError('corrupt', `${iniPath} is corrupt: it has no [${group}] group`);
  const s: ZoomSection = {
    concatExponent: ini.integer(group, 'IMAGE_CONCAT_FACTOR'),
    overlapX: ini.double(group, 'OVERLAP_X'),
    overlapY: ini.double(group, 'OVERLAP_Y'),
    mppX: ini.double(group, 'MICROMETER_PER_PIXEL_X'),
    mppY: ini.double(group, 'MICROMETER_PER_PIXEL_Y'),
    fillBgr: ini.integer(group, 'IMAGE_FILL_COLOR_BGR'),
    imageW: ini.integer(group, 'DIGITIZER_WIDTH'),
    imageH: ini.integer(group, 'DIGITIZER_HEIGHT'),
    format: 'jpeg',
  };
  positive(s.concatExponent, `[${group}] IMAGE_CONCAT_FACTOR`, iniPath, first);
  positive(s.imageW, `[${group}] DIGITIZER_WIDTH`, iniPath);
  positive(s.imageH, `[${group}] DIGITIZER_HEIGHT`, iniPath);
  if (s.imageW * s.imageH > 1 << 26) throw new SlideError('too-large', `${iniPath}: [${group}] images of ${s.imageW}×${s.imageH} pixels are too large`);
  s.format = parseFormat(ini.value(group, 'IMAGE_FORMAT'), iniPath);
  return s;
}

function parseFormat(name: string, path: string): MiraxImageFormat {
  if (name === 'JPEG') return 'jpeg';
  if (name === 'PNG') return 'png';
  if (name === 'BMP24') return 'bmp';
  throw new SlideError('unsupported-feature', `${path}: unrecognized MIRAX image format ${name}`);
}

function positive(n: number, what: string, path: string, allowZero = false): void {
  if (allowZero ? n < 0 : n <= 0) throw new SlideError('corrupt', `${path} is corrupt: ${what} is ${n}`);
}
