// Hamamatsu's private TIFF tags (OpenSlide's NDPI_* constants in openslide-vendor-hamamatsu.c).
export const NdpiTag = {
  /** Present in every NDPI directory: what detection looks for. */
  FormatFlag: 65420,
  /** Objective power of a level; -1 the macro image, -2 the map. */
  SourceLens: 65421,
  XOffset: 65422,
  YOffset: 65423,
  /** Z-stack plane; 0 is the focal plane OpenSlide reads. */
  FocalPlane: 65424,
  /** Offset of each restart interval within the level's JPEG (low 32 bits). */
  McuStarts: 65426,
  Reference: 65427,
  /** High 32 bits of McuStarts, in files over 4 GB. */
  McuStartsHigh: 65432,
  /** ASCII "key=value" records, CRLF-separated: the hamamatsu.* properties. */
  PropertyMap: 65449,
} as const;
