// Every slide format, in detection order: the first whose `detect` says yes opens the file. Specific
// vendors come before generic TIFF, which would otherwise claim their files. Adding a vendor (NDPI,
// Philips TIFF, DICOM…) is adding a file beside this one and a line here.
import type { SlideFormat } from '../slide-reader.js';
import { aperio } from './aperio.js';
import { omeTiff } from './ome-tiff.js';
import { genericTiff } from './generic-tiff.js';
import { dicom } from './dicom.js';

export const slideFormats: readonly SlideFormat[] = [aperio, omeTiff, genericTiff, dicom];
