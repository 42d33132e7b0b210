// DICOM VL Whole Slide Microscopy (OpenSlide's openslide-vendor-dicom.c): a slide is a series of
// instances, usually one .dcm file per pyramid level, in one folder. Opening a folder or any one file
// of the series gathers the instances with the same Series Instance UID from that folder: VOLUME images
// are the levels (sized by TotalPixelMatrixColumns/Rows, tiled by Columns/Rows, frames read on demand
// from the encapsulated pixel data), LABEL and OVERVIEW images are the `label` and `macro` associated
// images. Only headers are parsed at open; frames are read when a tile is asked for.
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { completeTiffJpeg, decodeJpeg } from '../codecs/jpeg.js';
import { decodeJp2k } from '../codecs/jp2k.js';
import { toRgba, type RgbaImage } from '../codecs/rgba.js';
import {
  DicomDataset,
  isDicomFile,
  ItemTags,
  readBasicOffsetTable,
  readDicomHeader,
  readItemHeader,
  scanFragments,
  TransferSyntax,
  type DicomHeader,
  type Fragment,
} from '../dicom/dicom-dataset.js';
import { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import type { NativeTile, OpenSlideOptions, SlideFormat, SlideReader } from '../slide-reader.js';
import type { TileGridLevel } from '../tile-grid.js';
import { associatedImageOfLevel, TiledSlide, type AssociatedImageSource } from '../tiled-slide.js';

/** VL Whole Slide Microscopy Image Storage. */
export const WSI_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.77.1.6';

const T = {
  ImageType: 0x00080008,
  SOPClassUID: 0x00080016,
  SOPInstanceUID: 0x00080018,
  SeriesInstanceUID: 0x0020000e,
  ConcatenationFrameOffsetNumber: 0x00209228,
  DimensionOrganizationType: 0x00209311,
  SamplesPerPixel: 0x00280002,
  PhotometricInterpretation: 0x00280004,
  PlanarConfiguration: 0x00280006,
  NumberOfFrames: 0x00280008,
  Rows: 0x00280010,
  Columns: 0x00280011,
  PixelSpacing: 0x00280030,
  BitsAllocated: 0x00280100,
  PixelMeasuresSequence: 0x00289110,
  TotalPixelMatrixColumns: 0x00480006,
  TotalPixelMatrixRows: 0x00480007,
  OpticalPathSequence: 0x00480105,
  ObjectiveLensPower: 0x00480112,
  PlanePositionSlideSequence: 0x0048021a,
  ColumnPositionInTotalImagePixelMatrix: 0x0048021e,
  RowPositionInTotalImagePixelMatrix: 0x0048021f,
  SharedFunctionalGroupsSequence: 0x52009229,
  PerFrameFunctionalGroupsSequence: 0x52009230,
  ExtendedOffsetTable: 0x7fe00001,
  ExtendedOffsetTableLengths: 0x7fe00002,
  MediaStorageSOPClassUID: 0x00020002,
} as const;

/** Attributes shown as `dicom.<Keyword>` properties (patient identity deliberately left out). */
const PROPERTY_TAGS: [number, string][] = [
  [0x00080008, 'ImageType'],
  [0x00080016, 'SOPClassUID'],
  [0x00080018, 'SOPInstanceUID'],
  [0x0020000d, 'StudyInstanceUID'],
  [0x0020000e, 'SeriesInstanceUID'],
  [0x00200052, 'FrameOfReferenceUID'],
  [0x00200013, 'InstanceNumber'],
  [0x00080020, 'StudyDate'],
  [0x00080023, 'ContentDate'],
  [0x00080033, 'ContentTime'],
  [0x00080060, 'Modality'],
  [0x00080070, 'Manufacturer'],
  [0x00080080, 'InstitutionName'],
  [0x00081030, 'StudyDescription'],
  [0x0008103e, 'SeriesDescription'],
  [0x00081090, 'ManufacturerModelName'],
  [0x00181000, 'DeviceSerialNumber'],
  [0x00181020, 'SoftwareVersions'],
  [0x00400512, 'ContainerIdentifier'],
  [0x00209311, 'DimensionOrganizationType'],
  [0x00280002, 'SamplesPerPixel'],
  [0x00280004, 'PhotometricInterpretation'],
  [0x00280008, 'NumberOfFrames'],
  [0x00280010, 'Rows'],
  [0x00280011, 'Columns'],
  [0x00280100, 'BitsAllocated'],
  [0x00282110, 'LossyImageCompression'],
  [0x00282112, 'LossyImageCompressionRatio'],
  [0x00282114, 'LossyImageCompressionMethod'],
  [0x00480001, 'ImagedVolumeWidth'],
  [0x00480002, 'ImagedVolumeHeight'],
  [0x00480003, 'ImagedVolumeDepth'],
  [0x00480006, 'TotalPixelMatrixColumns'],
  [0x00480007, 'TotalPixelMatrixRows'],
  [0x00480011, 'FocusMethod'],
  [0x00480012, 'ExtendedDepthOfField'],
  [0x00480302, 'NumberOfOpticalPaths'],
  [0x00480303, 'TotalPixelMatrixFocalPlanes'],
];

const SUPPORTED_SYNTAXES: ReadonlySet<string> = new Set([
  TransferSyntax.JpegBaseline,
  TransferSyntax.JpegExtended,
  TransferSyntax.Jpeg2000Lossless,
  TransferSyntax.Jpeg2000,
  TransferSyntax.ExplicitLittle,
  TransferSyntax.ImplicitLittle,
]);

/** One parsed .dcm file of the series. */
interface Instance {
  source: FileSource;
  header: DicomHeader;
  ds: DicomDataset;
  sopClass: string;
  seriesUid: string;
  /** ImageType value 3: VOLUME, LABEL, OVERVIEW, THUMBNAIL. */
  flavor: string;
  width: number;
  height: number;
  tileWidth: number;
  tileHeight: number;
  frames: number;
  /** Frame number of this file's first frame in its concatenation (0 when not concatenated). */
  frameOffset: number;
  photometric: string;
  samplesPerPixel: number;
  /** Frames → compressed bytes, built on first use. */
  frameReader?: Promise<(frame: number) => Promise<Buffer>>;
}

export const dicom: SlideFormat = {
  name: 'dicom',

  async detect(source: FileSource): Promise<boolean> {
    return isDicomFile(source);
  },

  async open(source: FileSource, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const primary = await readInstance(source);
    if (primary.sopClass !== WSI_SOP_CLASS) {
      throw new SlideError(
        'unsupported-format',
        `${source.path} is a DICOM file but not a whole-slide image (SOP class ${primary.sopClass || 'missing'}, not VL Whole Slide Microscopy)`,
      );
    }
    const siblings = await readFolder(dirname(source.path), new Set([source.path]), primary.seriesUid).catch(async (err: unknown) => {
      await source.close().catch(() => undefined);
      throw err;
    });
    return assemble([primary, ...siblings], options);
  },

  async detectDirectory(path: string): Promise<boolean> {
    for (const file of await listFiles(path)) {
      let source: FileSource | null = null;
      try {
        source = await FileSource.open(file);
        if (await isDicomFile(source)) return true;
      } catch {
        // Unreadable entries are not slides.
      } finally {
        await source?.close().catch(() => undefined);
      }
    }
    return false;
  },

  async openDirectory(path: string, options: OpenSlideOptions = {}): Promise<SlideReader> {
    const instances = await readFolder(path, new Set(), null);
    if (instances.length === 0) {
      throw new SlideError('unsupported-format', `${path} is a folder without any DICOM whole-slide image (.dcm) files`);
    }
    // A folder may hold several series: the slide is the one with the largest VOLUME image.
    const volumes = instances.filter((i) => i.flavor === 'VOLUME').sort((a, b) => b.width * b.height - a.width * a.height);
    const series = (volumes[0] ?? instances[0]).seriesUid;
    const chosen = instances.filter((i) => i.seriesUid === series);
    await Promise.all(instances.filter((i) => i.seriesUid !== series).map((i) => i.source.close().catch(() => undefined)));
    try {
      return await assemble(chosen, options);
    } catch (err) {
      await Promise.all(chosen.map((i) => i.source.close().catch(() => undefined)));
      throw err;
    }
  },
};

async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new SlideError('io', `Cannot list ${dir}: ${(err as Error).message}`);
  }
  return entries
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => join(dir, e.name))
    .sort();
}

/** A file of the slide's folder that Tessera cannot read: it may be one of the slide's levels, so opening
 * without it could silently change the slide's size and scale. */
function damagedSibling(file: string, err: unknown): SlideError {
  const code = err instanceof SlideError && (err.code === 'truncated' || err.code === 'io') ? err.code : 'corrupt';
  const why = String((err as Error)?.message ?? err).replace(`${file}: `, '').replace(`${file} `, '').replace(/^is /, '');
  return new SlideError(
    code === 'io' ? 'corrupt' : code,
    `${file} is a damaged DICOM file in the slide's folder (${why}); it may hold one of the slide's levels, so the slide is not opened without it: restore the file, or move it out of the folder`,
  );
}

/**
 * Every WSI instance in `dir` (of series `seriesUid` when given), skipping `exclude`. Foreign files (not
 * DICOM, other SOP classes, other series) are ignored; a damaged DICOM file (or a `.dcm` too short or not
 * DICOM at all) is an error naming it, since the level it held would otherwise silently drop out.
 */
async function readFolder(dir: string, exclude: Set<string>, seriesUid: string | null): Promise<Instance[]> {
  const out: Instance[] = [];
  try {
    for (const file of await listFiles(dir)) {
      if (exclude.has(file)) continue;
      let source: FileSource | null = null;
      let keep = false;
      try {
        source = await FileSource.open(file);
        if (!(await isDicomFile(source))) {
          if (/\.dcm$/i.test(file)) throw new SlideError('truncated', `${source.size} bytes, without the DICOM preamble and DICM prefix`);
          continue;
        }
        const instance = await readInstance(source);
        if (instance.sopClass === WSI_SOP_CLASS && (seriesUid === null || instance.seriesUid === seriesUid)) {
          out.push(instance);
          keep = true;
        }
      } catch (err) {
        // An entry that cannot even be opened (a dangling link, say) is foreign unless named .dcm.
        if (!source && !/\.dcm$/i.test(file)) continue;
        throw damagedSibling(file, err);
      } finally {
        if (!keep) await source?.close().catch(() => undefined);
      }
    }
  } catch (err) {
    await Promise.all(out.map((i) => i.source.close().catch(() => undefined)));
    throw err;
  }
  return out;
}

async function readInstance(source: FileSource): Promise<Instance> {
  const header = await readDicomHeader(source);
  const ds = header.dataset;
  const int = (tag: number): number | undefined => {
    const n = ds.number(tag);
    return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
  };
  const tileWidth = int(T.Columns) ?? 0;
  const tileHeight = int(T.Rows) ?? 0;
  return {
    source,
    header,
    ds,
    sopClass: ds.string(T.SOPClassUID) ?? header.meta.string(T.MediaStorageSOPClassUID) ?? '',
    seriesUid: ds.string(T.SeriesInstanceUID) ?? '',
    flavor: (ds.strings(T.ImageType)[2] ?? '').toUpperCase(),
    width: int(T.TotalPixelMatrixColumns) ?? tileWidth,
    height: int(T.TotalPixelMatrixRows) ?? tileHeight,
    tileWidth,
    tileHeight,
    frames: int(T.NumberOfFrames) ?? 1,
    frameOffset: int(T.ConcatenationFrameOffsetNumber) ?? 0,
    photometric: ds.string(T.PhotometricInterpretation) ?? '',
    samplesPerPixel: int(T.SamplesPerPixel) ?? 0,
  };
}

async function assemble(instances: Instance[], options: OpenSlideOptions): Promise<SlideReader> {
  const volumes = instances.filter((i) => i.flavor === 'VOLUME');
  const path = instances[0].source.path;
  if (volumes.length === 0) throw new SlideError('corrupt', `${path} belongs to a DICOM slide series without any VOLUME image`);
  // One level per distinct size; the files of a concatenation (one level split across files) share it.
  const bySize = new Map<string, Instance[]>();
  for (const v of volumes) {
    const key = `${v.width}x${v.height}`;
    bySize.set(key, [...(bySize.get(key) ?? []), v]);
  }
  const groups = [...bySize.values()].map((g) => g.sort((a, b) => a.frameOffset - b.frameOffset)).sort((a, b) => b[0].width - a[0].width);
  for (const g of groups) for (const inst of g) checkInstance(inst);
  const base = groups[0][0];
  const levels = groups.map((g) => dicomLevel(g, (base.width / g[0].width + base.height / g[0].height) / 2));

  const associated: AssociatedImageSource[] = [];
  for (const [flavor, name] of [
    ['LABEL', 'label'],
    ['OVERVIEW', 'macro'],
  ] as const) {
    const inst = instances.find((i) => i.flavor === flavor);
    if (!inst) continue;
    try {
      checkInstance(inst);
      associated.push(associatedImageOfLevel(name, dicomLevel([inst], 1)));
    } catch {
      // An associated image Tessera cannot decode is left out rather than failing the slide.
    }
  }
  // A truncated file shows at open, not at the first tile: encapsulated pixel data ends with a sequence
  // delimiter; when it does not (truncated, or trailing elements), index the frames now, which checks them.
  for (const inst of groups.flat()) {
    if (inst.header.pixelDataLength === null && !(await endsWithDelimiter(inst.source))) {
      inst.frameReader ??= frameReader(inst);
      await inst.frameReader;
    }
  }
  const used = new Set<Instance>([...groups.flat(), ...instances.filter((i) => associated.length && (i.flavor === 'LABEL' || i.flavor === 'OVERVIEW'))]);
  await Promise.all(instances.filter((i) => !used.has(i)).map((i) => i.source.close().catch(() => undefined)));

  const properties = dicomProperties(base);
  const mpp = pixelSpacingMpp(base.ds);
  const power = objectivePower(base.ds);
  if (mpp) properties['dicom.PixelSpacing'] = base.ds.item(T.SharedFunctionalGroupsSequence)?.item(T.PixelMeasuresSequence)?.string(T.PixelSpacing) ?? '';
  if (power !== null) properties['dicom.ObjectiveLensPower'] = String(power);
  return new TiledSlide(
    {
      vendor: 'dicom',
      source: base.source,
      extraSources: [...used].filter((i) => i !== base).map((i) => i.source),
      levels,
      mpp,
      objectivePower: power,
      properties,
      associated,
    },
    options,
  );
}

/** Refuses, at open, instances Tessera cannot decode or whose geometry makes no sense. */
function checkInstance(inst: Instance): void {
  const where = `${inst.source.path} (DICOM ${inst.flavor || 'image'})`;
  if (!SUPPORTED_SYNTAXES.has(inst.header.transferSyntax)) {
    throw new SlideError('unsupported-feature', `${where} uses transfer syntax ${inst.header.transferSyntax}, which Tessera cannot decode`);
  }
  if (inst.tileWidth < 1 || inst.tileHeight < 1 || inst.width < 1 || inst.height < 1 || inst.frames < 1) {
    throw new SlideError('corrupt', `${where} has no valid image size (Columns/Rows/TotalPixelMatrix/NumberOfFrames)`);
  }
  if (inst.tileWidth > 16384 || inst.tileHeight > 16384) throw new SlideError('too-large', `${where} has ${inst.tileWidth}×${inst.tileHeight} frames, too large to decode`);
  const bits = inst.ds.number(T.BitsAllocated) ?? 8;
  if (bits !== 8 || (inst.samplesPerPixel !== 1 && inst.samplesPerPixel !== 3)) {
    throw new SlideError('unsupported-feature', `${where} has ${inst.samplesPerPixel} samples of ${bits} bits per pixel; Tessera reads 8-bit grey or colour`);
  }
}

/** A pyramid level from the files holding it (several when the level is a concatenation). */
function dicomLevel(parts: Instance[], downsample: number): TileGridLevel {
  const first = parts[0];
  const tileWidth = first.tileWidth;
  const tileHeight = first.tileHeight;
  const tilesAcross = Math.ceil(first.width / tileWidth);
  const tilesDown = Math.ceil(first.height / tileHeight);
  const locate = frameLocator(parts, tilesAcross, tilesDown);
  const blank = (): RgbaImage => ({ data: Buffer.alloc(tileWidth * tileHeight * 4), width: tileWidth, height: tileHeight, channels: 4 });
  return {
    width: first.width,
    height: first.height,
    downsample,
    tileWidth,
    tileHeight,
    tilesAcross,
    tilesDown,
    async decodeTile(col, row) {
      const at = locate(col, row);
      if (!at) return blank();
      return decodeFrame(at.inst, await readFrame(at.inst, at.frame));
    },
    async readNativeTile(col, row): Promise<NativeTile | null> {
      const at = locate(col, row);
      if (!at || !isJpeg(at.inst)) return null;
      const bytes = completeTiffJpeg(undefined, await readFrame(at.inst, at.frame), at.inst.photometric === 'RGB');
      return { encoding: 'jpeg', bytes, width: tileWidth, height: tileHeight };
    },
  };
}

/**
 * (col, row) → which file and frame. TILED_FULL: frames in row-major order (first focal plane and
 * optical path come first, so later frames are ignored). TILED_SPARSE: each frame's position from the
 * per-frame Plane Position (Slide) sequence; tiles without a frame are blank.
 */
function frameLocator(parts: Instance[], across: number, down: number): (col: number, row: number) => { inst: Instance; frame: number } | null {
  const sparse = parts.some((p) => p.ds.string(T.DimensionOrganizationType) !== 'TILED_FULL' && p.ds.items(T.PerFrameFunctionalGroupsSequence).length > 0);
  if (!sparse) {
    return (col, row) => {
      const global = row * across + col;
      for (const p of parts) {
        if (global >= p.frameOffset && global < p.frameOffset + p.frames) return { inst: p, frame: global - p.frameOffset };
      }
      return null;
    };
  }
  const map = new Map<number, { inst: Instance; frame: number }>();
  for (const p of parts) {
    p.ds.items(T.PerFrameFunctionalGroupsSequence).forEach((item, frame) => {
      const pos = item.item(T.PlanePositionSlideSequence);
      const x = pos?.number(T.ColumnPositionInTotalImagePixelMatrix);
      const y = pos?.number(T.RowPositionInTotalImagePixelMatrix);
      if (x === undefined || y === undefined || frame >= p.frames) return;
      const col = (x - 1) / p.tileWidth;
      const row = (y - 1) / p.tileHeight;
      if (!Number.isInteger(col) || !Number.isInteger(row) || col < 0 || row < 0 || col >= across || row >= down) {
        throw new SlideError('unsupported-feature', `${p.source.path} has a frame at (${x}, ${y}), not on the ${p.tileWidth}×${p.tileHeight} tile grid`);
      }
      const key = row * across + col;
      if (!map.has(key)) map.set(key, { inst: p, frame });
    });
  }
  return (col, row) => map.get(row * across + col) ?? null;
}

function isJpeg(inst: Instance): boolean {
  return inst.header.transferSyntax === TransferSyntax.JpegBaseline || inst.header.transferSyntax === TransferSyntax.JpegExtended;
}

async function decodeFrame(inst: Instance, bytes: Buffer): Promise<RgbaImage> {
  const tw = inst.tileWidth;
  const th = inst.tileHeight;
  let image: RgbaImage;
  const ts = inst.header.transferSyntax;
  if (isJpeg(inst)) {
    // Frames carry their own colour markers (JFIF: YCbCr); RGB without a marker gets the Adobe one.
    image = await decodeJpeg(completeTiffJpeg(undefined, bytes, inst.photometric === 'RGB'), tw * th);
  } else if (ts === TransferSyntax.Jpeg2000 || ts === TransferSyntax.Jpeg2000Lossless) {
    // YBR_ICT/YBR_RCT are undone by the codestream's own transform; YBR_FULL means no transform was applied.
    image = await decodeJp2k(bytes, inst.photometric.startsWith('YBR_FULL'), tw, th);
  } else {
    image = decodeNative(inst, bytes);
  }
  if (image.width < tw || image.height < th) {
    throw new SlideError('corrupt', `${inst.source.path}: a frame decoded to ${image.width}×${image.height} where ${tw}×${th} was expected`);
  }
  if (image.width === tw && image.height === th) return image;
  const out = Buffer.allocUnsafe(tw * th * 4);
  for (let y = 0; y < th; y++) image.data.copy(out, y * tw * 4, y * image.width * 4, (y * image.width + tw) * 4);
  return { data: out, width: tw, height: th, channels: 4 };
}

function decodeNative(inst: Instance, bytes: Buffer): RgbaImage {
  const spp = inst.samplesPerPixel;
  const n = inst.tileWidth * inst.tileHeight;
  let data = bytes;
  if (inst.photometric.startsWith('YBR') || inst.photometric.startsWith('PALETTE')) {
    throw new SlideError('unsupported-feature', `${inst.source.path}: uncompressed ${inst.photometric} frames are not supported`);
  }
  if (spp === 3 && (inst.ds.number(T.PlanarConfiguration) ?? 0) === 1) {
    data = Buffer.allocUnsafe(n * 3);
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) data[i * 3 + c] = bytes[c * n + i];
  } else if (inst.photometric === 'MONOCHROME1') {
    data = Buffer.from(bytes);
    for (let i = 0; i < data.length; i++) data[i] = 255 - data[i];
  }
  return toRgba(data, inst.tileWidth, inst.tileHeight, spp);
}

/** The compressed (or raw) bytes of frame `frame` (0-based, within this file). */
async function readFrame(inst: Instance, frame: number): Promise<Buffer> {
  inst.frameReader ??= frameReader(inst);
  const reader = await inst.frameReader.catch((err: unknown) => {
    inst.frameReader = undefined;
    throw err;
  });
  return reader(frame);
}

async function frameReader(inst: Instance): Promise<(frame: number) => Promise<Buffer>> {
  const { source, header } = inst;
  const count = inst.frames;
  const bad = (frame: number): SlideError => new SlideError('corrupt', `${source.path} has no frame ${frame} (it has ${count})`);
  if (header.pixelDataLength !== null) {
    // Native (uncompressed) pixel data: frames back to back.
    const frameBytes = inst.tileWidth * inst.tileHeight * inst.samplesPerPixel;
    if (header.pixelDataLength < frameBytes * count) {
      throw new SlideError('corrupt', `${source.path} holds ${header.pixelDataLength} bytes of pixels where ${count} frames need ${frameBytes * count}`);
    }
    return (frame) => (frame < count ? source.read(header.pixelDataOffset + frame * frameBytes, frameBytes) : Promise.reject(bad(frame)));
  }
  const { offsets, firstFragment } = await readBasicOffsetTable(source, header.pixelDataOffset);
  const eot = header.dataset.bigValues(T.ExtendedOffsetTable);
  const eotLengths = header.dataset.bigValues(T.ExtendedOffsetTableLengths);
  const past = (offset: number): SlideError =>
    new SlideError('truncated', `${source.path} is truncated: its frames reach byte ${offset}, past its end (${source.size} bytes)`);
  if (eot && eotLengths && eot.length >= count && eotLengths.length >= count) {
    // Extended Offset Table: one fragment per frame, offsets of its item header, lengths of its bytes.
    const last = eot.slice(0, count).reduce((m, o, i) => Math.max(m, firstFragment + o + 8 + eotLengths[i]), 0);
    if (last > source.size) throw past(last);
    return (frame) => (frame < count ? source.read(firstFragment + eot[frame] + 8, eotLengths[frame]) : Promise.reject(bad(frame)));
  }
  if (offsets.length >= count && firstFragment + offsets[count - 1] + 8 > source.size) throw past(firstFragment + offsets[count - 1] + 8);
  if (offsets.length >= count) {
    return async (frame) => {
      if (frame >= count) throw bad(frame);
      const end = frame + 1 < offsets.length ? firstFragment + offsets[frame + 1] : Infinity;
      return readFragments(source, firstFragment + offsets[frame], end);
    };
  }
  // No offset table: walk the fragments once. One fragment per frame, or frames split across
  // fragments, a new frame starting at each fragment that starts a JPEG/J2K stream.
  const fragments = await scanFragments(source, firstFragment);
  let frames: Fragment[][];
  if (fragments.length === count) frames = fragments.map((f) => [f]);
  else {
    frames = [];
    for (const f of fragments) {
      if (f.startsImage || frames.length === 0) frames.push([f]);
      else frames[frames.length - 1].push(f);
    }
  }
  if (frames.length < count) throw new SlideError('corrupt', `${source.path} holds ${frames.length} frames where NumberOfFrames says ${count}`);
  return async (frame) => {
    const parts = frames[frame];
    if (!parts || frame >= count) throw bad(frame);
    const buffers = await Promise.all(parts.map((f) => source.read(f.offset, f.length)));
    return buffers.length === 1 ? buffers[0] : Buffer.concat(buffers);
  };
}

async function endsWithDelimiter(source: FileSource): Promise<boolean> {
  if (source.size < 8) return false;
  const tail = await source.read(source.size - 8, 8);
  return tail.readUInt32LE(0) === 0xe0ddfffe && tail.readUInt32LE(4) === 0;
}

/** The fragments from the item at `start` up to `end` (the next frame's item) or the sequence delimiter. */
async function readFragments(source: FileSource, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let p = start;
  while (p < end && parts.length < 1 << 16) {
    const item = await readItemHeader(source, p);
    if (item.tag === ItemTags.SEQUENCE_END) break;
    if (item.tag !== ItemTags.ITEM || item.length === 0xffffffff) throw new SlideError('corrupt', `${source.path} has a bad pixel data fragment at byte ${p}`);
    parts.push(await source.read(p + 8, item.length));
    p += 8 + item.length;
    // Most frames are one fragment: when the next frame's offset is known, stop without peeking further.
    if (end === Infinity && p + 8 > source.size) break;
  }
  if (parts.length === 0) throw new SlideError('corrupt', `${source.path} has an empty frame at byte ${start}`);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** µm per pixel from PixelSpacing (mm, "row spacing\column spacing": y then x) in the shared functional groups. */
function pixelSpacingMpp(ds: DicomDataset): { x: number; y: number } | null {
  const spacing = ds.item(T.SharedFunctionalGroupsSequence)?.item(T.PixelMeasuresSequence)?.strings(T.PixelSpacing) ?? ds.strings(T.PixelSpacing);
  if (spacing.length < 2) return null;
  // mm → µm by moving the decimal point, so "0.000499" becomes exactly 0.499.
  const [y, x] = spacing.map((s) => Number(`${s}e3`));
  return Number.isFinite(x) && Number.isFinite(y) && x > 0 && y > 0 ? { x, y } : null;
}

function objectivePower(ds: DicomDataset): number | null {
  for (const path of ds.items(T.OpticalPathSequence)) {
    const p = path.number(T.ObjectiveLensPower);
    if (p !== undefined && p > 0) return p;
  }
  return null;
}

function dicomProperties(inst: Instance): Record<string, string> {
  const p: Record<string, string> = {};
  const ds = inst.ds;
  for (const [tag, keyword] of PROPERTY_TAGS) {
    const e = ds.elements.get(tag);
    if (!e?.value) continue;
    let value = ds.string(tag);
    if (['US', 'UL', 'SS', 'SL', 'FL', 'FD'].includes(e.vr)) {
      const size = e.vr === 'FD' ? 8 : e.vr === 'US' || e.vr === 'SS' ? 2 : 4;
      const values: string[] = [];
      for (let i = 0; i * size < e.value.length; i++) {
        const n = ds.number(tag, i);
        if (n !== undefined) values.push(e.vr === 'FL' ? String(Number(n.toPrecision(7))) : String(n));
      }
      value = values.join('\\');
    }
    if (value !== undefined && value !== '') p[`dicom.${keyword}`] = value;
  }
  p['dicom.TransferSyntaxUID'] = inst.header.transferSyntax;
  p['dicom.file'] = basename(inst.source.path);
  return p;
}
