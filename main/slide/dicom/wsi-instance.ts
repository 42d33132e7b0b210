// One .dcm file of a DICOM WSI series, as much of it as opening needs: its header (the dataset up to the
// pixel data), series, flavour (ImageType value 3) and geometry; and the checks that refuse, at open,
// instances Tessera cannot decode.
import { TransferSyntax, readDicomHeader, type DicomDataset, type DicomHeader } from './dicom-dataset.js';
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import { WsiTag } from './wsi-tags.js';

const SUPPORTED_SYNTAXES: ReadonlySet<string> = new Set([
  TransferSyntax.JpegBaseline,
  TransferSyntax.JpegExtended,
  TransferSyntax.Jpeg2000Lossless,
  TransferSyntax.Jpeg2000,
  TransferSyntax.ExplicitLittle,
  TransferSyntax.ImplicitLittle,
]);

/** One parsed .dcm file of the series. */
export interface Instance {
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

export async function readInstance(source: FileSource): Promise<Instance> {
  const header = await readDicomHeader(source);
  const ds = header.dataset;
  const int = (tag: number): number | undefined => {
    const n = ds.number(tag);
    return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
  };
  const tileWidth = int(WsiTag.Columns) ?? 0;
  const tileHeight = int(WsiTag.Rows) ?? 0;
  return {
    source,
    header,
    ds,
    sopClass: ds.string(WsiTag.SOPClassUID) ?? header.meta.string(WsiTag.MediaStorageSOPClassUID) ?? '',
    seriesUid: ds.string(WsiTag.SeriesInstanceUID) ?? '',
    flavor: (ds.strings(WsiTag.ImageType)[2] ?? '').toUpperCase(),
    width: int(WsiTag.TotalPixelMatrixColumns) ?? tileWidth,
    height: int(WsiTag.TotalPixelMatrixRows) ?? tileHeight,
    tileWidth,
    tileHeight,
    frames: int(WsiTag.NumberOfFrames) ?? 1,
    frameOffset: int(WsiTag.ConcatenationFrameOffsetNumber) ?? 0,
    photometric: ds.string(WsiTag.PhotometricInterpretation) ?? '',
    samplesPerPixel: int(WsiTag.SamplesPerPixel) ?? 0,
  };
}

/** Refuses, at open, instances Tessera cannot decode or whose geometry makes no sense. */
export function checkInstance(inst: Instance): void {
  const where = `${inst.source.path} (DICOM ${inst.flavor || 'image'})`;
  if (!SUPPORTED_SYNTAXES.has(inst.header.transferSyntax)) {
    throw new SlideError('unsupported-feature', `${where} uses transfer syntax ${inst.header.transferSyntax}, which Tessera cannot decode`);
  }
  if (inst.tileWidth < 1 || inst.tileHeight < 1 || inst.width < 1 || inst.height < 1 || inst.frames < 1) {
    throw new SlideError('corrupt', `${where} has no valid image size (Columns/Rows/TotalPixelMatrix/NumberOfFrames)`);
  }
  if (inst.tileWidth > 16384 || inst.tileHeight > 16384) throw new SlideError('too-large', `${where} has ${inst.tileWidth}×${inst.tileHeight} frames, too large to decode`);
  const bits = inst.ds.number(WsiTag.BitsAllocated) ?? 8;
  if (bits !== 8 || (inst.samplesPerPixel !== 1 && inst.samplesPerPixel !== 3)) {
    throw new SlideError('unsupported-feature', `${where} has ${inst.samplesPerPixel} samples of ${bits} bits per pixel; Tessera reads 8-bit grey or colour`);
  }
}

export function isJpeg(inst: Instance): boolean {
  return inst.header.transferSyntax === TransferSyntax.JpegBaseline || inst.header.transferSyntax === TransferSyntax.JpegExtended;
}
