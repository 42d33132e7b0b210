// The one contract every slide format implements (OpenSlide's `struct _openslide_format` idea):
// a format detects and opens a file; an open slide answers geometry, metadata and pixels.

/** One pyramid level as stored in the file (or derived by the engine). */
export interface SlideLevel {
  /** Size of this level in its own pixels. */
  width: number;
  height: number;
  /** Level-0 pixels per pixel of this level (OpenSlide's `level_downsamples`). */
  downsample: number;
  /** Native tile size of this level; for untiled (stripped) levels the strip size. */
  tileWidth: number;
  tileHeight: number;
}

export interface AssociatedImageInfo {
  /** OpenSlide's names: `thumbnail`, `label`, `macro`. */
  name: string;
  width: number;
  height: number;
}

/** Decoded pixels, row-major, `channels` interleaved bytes per pixel. */
export interface RawImage {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** A native tile's compressed bytes, ready to send without decoding. */
export interface NativeTile {
  /** `jpeg`: a complete, standalone JFIF/JPEG stream (shared JPEGTables already spliced in). */
  encoding: 'jpeg';
  bytes: Buffer;
  /** The tile's size as stored (edge tiles are padded to the full tile size in TIFF). */
  width: number;
  height: number;
}

export interface SlideReader {
  /** Short vendor name, as OpenSlide's `openslide.vendor` where there is one: `aperio`, `generic-tiff`, `ome-tiff`, `dicom`. */
  readonly vendor: string;
  readonly levels: readonly SlideLevel[];
  /** Microns per pixel at level 0, or null when the file does not say (scale bar and magnifications unknown). */
  readonly mpp: { x: number; y: number } | null;
  /** Scanner objective power (AppMag), or null when unknown. */
  readonly objectivePower: number | null;
  /** Every property, with OpenSlide's names where OpenSlide has one (`openslide.mpp-x`, `aperio.AppMag`, `tiff.ImageDescription`…). */
  readonly properties: Readonly<Record<string, string>>;
  readonly associatedImages: readonly AssociatedImageInfo[];
  /**
   * Like OpenSlide's `read_region`: x, y in level-0 pixels, w × h in pixels of `level`.
   * Returns RGBA (4 channels); pixels outside the image are transparent black (0,0,0,0).
   */
  readRegion(level: number, x: number, y: number, width: number, height: number): Promise<RawImage>;
  /** The compressed bytes of native tile (col, row) of `level`, or null when it cannot be sent as-is (not JPEG, e.g.). */
  readNativeTile(level: number, col: number, row: number): Promise<NativeTile | null>;
  /** An associated image, decoded (RGB or RGBA). */
  readAssociatedImage(name: string): Promise<RawImage>;
  close(): Promise<void>;
}

/** A file format driver: one file per vendor under `formats/`, listed once in `formats/index.ts`. */
export interface SlideFormat {
  readonly name: string;
  /** Cheap check from the file's first bytes / directory; must not throw on foreign files. */
  detect(source: import('./file-source.js').FileSource): Promise<boolean>;
  open(source: import('./file-source.js').FileSource, options?: OpenSlideOptions): Promise<SlideReader>;
  /** For formats whose slide is a folder of files (DICOM): a cheap look at the folder; must not throw on foreign folders. */
  detectDirectory?(path: string): Promise<boolean>;
  openDirectory?(path: string, options?: OpenSlideOptions): Promise<SlideReader>;
}

/** Engine options for one open slide. */
export interface OpenSlideOptions {
  /** Decoded-tile cache capacity in bytes (default 64 MiB): the slide's one cache, shared by tiles, patches and regions. */
  tileCacheBytes?: number;
  /** Called on every stored-tile decode (benches count decodes per distinct tile with it). */
  onTileDecode?: (level: number, col: number, row: number) => void;
}
