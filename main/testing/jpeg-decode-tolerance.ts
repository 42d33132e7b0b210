// How far Tessera's JPEG pixels may be from an accurate-IDCT decode of the same stream (OpenSlide's, or
// sharp's): Tessera decodes with libjpeg-turbo's fast integer IDCT (slide/codecs/libjpeg-turbo.ts), which
// rounds differently. Measured on the shared slides (mean / max |Δ| per channel): Aperio q≈70 tiles
// 0.50 / 1, one 224-px crop of mostly background 0.87 / 1; the NDPI's fluorescence strips 0.62 / 4 (p99 3),
// its macro max 6; the DICOM frames max 5.
export const FAST_IDCT_TOLERANCE = { mean: 1, max: 6 };
