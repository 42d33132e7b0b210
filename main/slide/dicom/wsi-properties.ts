// A DICOM WSI's metadata: `dicom.<Keyword>` properties of the base level, MPP from PixelSpacing and the
// objective power from the optical path.
import { basename } from 'node:path';
import type { DicomDataset } from './dicom-dataset.js';
import type { Instance } from './wsi-instance.js';
import { WsiTag } from './wsi-tags.js';

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

/** µm per pixel from PixelSpacing (mm, "row spacing\column spacing": y then x) in the shared functional groups. */
export function pixelSpacingMpp(ds: DicomDataset): { x: number; y: number } | null {
  const spacing = ds.item(WsiTag.SharedFunctionalGroupsSequence)?.item(WsiTag.PixelMeasuresSequence)?.strings(WsiTag.PixelSpacing) ?? ds.strings(WsiTag.PixelSpacing);
  if (spacing.length < 2) return null;
  // mm → µm by moving the decimal point, so "0.000499" becomes exactly 0.499.
  const [y, x] = spacing.map((s) => Number(`${s}e3`));
  return Number.isFinite(x) && Number.isFinite(y) && x > 0 && y > 0 ? { x, y } : null;
}

export function objectivePower(ds: DicomDataset): number | null {
  for (const path of ds.items(WsiTag.OpticalPathSequence)) {
    const p = path.number(WsiTag.ObjectiveLensPower);
    if (p !== undefined && p > 0) return p;
  }
  return null;
}

export function dicomProperties(inst: Instance): Record<string, string> {
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
