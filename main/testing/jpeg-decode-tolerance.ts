// How far Tessera's JPEG pixels may be from an accurate-IDCT decode of the same stream (OpenSlide's, or
// sharp's), on this machine. Where a TurboJPEG library loads through koffi (slide/codecs/libjpeg-turbo.ts;
// Linux always), decoding is libjpeg-turbo's accurate IDCT: the same pixels exactly. Elsewhere the
// @julusian/jpeg-turbo binding decodes with the fast integer IDCT, which rounds differently; measured on
// the shared slides (mean / max |Δ| per channel): Aperio q≈70 tiles 0.50 / 1, one 224-px crop of mostly
// background 0.87 / 1; the NDPI's fluorescence strips 0.62 / 4 (p99 3), its macro max 6; the DICOM
// frames max 5.
import { libjpegTurboScales } from '../slide/codecs/libjpeg-turbo.js';

export const FAST_IDCT_TOLERANCE = { mean: 1, max: 6 };

/** Whether JPEGs decode with the accurate IDCT here (and DCT scaling is libjpeg's own). */
export const ACCURATE_JPEG_DECODE = libjpegTurboScales();

export const JPEG_DECODE_TOLERANCE = ACCURATE_JPEG_DECODE ? { mean: 0, max: 0 } : FAST_IDCT_TOLERANCE;
