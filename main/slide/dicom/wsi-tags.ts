// The DICOM attributes a VL Whole Slide Microscopy reader looks at (PS3.6 tags, as group << 16 | element).

/** VL Whole Slide Microscopy Image Storage. */
export const WSI_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.77.1.6';

export const WsiTag = {
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
