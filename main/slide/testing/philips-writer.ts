// Test helper: a small Philips TIFF as the scanner writes one (per OpenSlide 3.4.1's philips driver):
// Software "Philips…", a DPUfsImport XML ImageDescription, JPEG (YCbCr) tiled levels padded to whole tiles
// with the true sizes given by the pixel spacings, sparse tiles (byte count 0), a label directory and a
// base64 JPEG macro in the XML.
import sharp from 'sharp';
import { Compression, Tag } from '../tiff/tiff-tags.js';
import { testCard } from './fixtures.js';
import { cutTiles, tiledImageEntries, TYPE, writeTiff, type IfdSpec } from './tiff-writer.js';

export interface PhilipsFixtureOptions {
  /** Level-0 size as stored (whole tiles). */
  width?: number;
  height?: number;
  tile?: number;
  /** Level-0 tiles (col, row) left out (TileByteCounts 0). */
  missing?: [number, number][];
  /** Replace the XML (malformed-input tests). */
  xml?: (xml: string) => string;
  /** Label as a TIFF directory (true) or left out. */
  labelDirectory?: boolean;
}

export async function jpeg(raw: Buffer, width: number, height: number, quality = 90): Promise<Buffer> {
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality, chromaSubsampling: '4:2:0' }).toBuffer();
}

/** RGB pixels shrunk by `factor` (box filter) from a test card; a stand-in for the scanner's pyramid. */
export function shrink(raw: Buffer, width: number, height: number, factor: number): { data: Buffer; width: number; height: number } {
  const w = Math.floor(width / factor);
  const h = Math.floor(height / factor);
  const out = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) sum += raw[((y * factor + dy) * width + x * factor + dx) * 3 + c];
        out[(y * w + x) * 3 + c] = Math.round(sum / (factor * factor));
      }
    }
  }
  return { data: out, width: w, height: h };
}

const q = (s: string): string => `&quot;${s}&quot;`;

export function philipsXml(o: { spacings: number[]; macroBase64: string; levels: { width: number; height: number }[] }): string {
  const reps = o.spacings
    .map(
      (s, i) => `<DataObject ObjectType="PixelDataRepresentation">
<Attribute Name="DICOM_PIXEL_SPACING" Group="0x0028" Element="0x0030" PMSVR="IDoubleArray">${q(String(s))} ${q(String(s))}</Attribute>
<Attribute Name="PIIM_PIXEL_DATA_REPRESENTATION_COLUMNS" Group="0x2001" Element="0x115E" PMSVR="IUInt32">${o.levels[i].width}</Attribute>
<Attribute Name="PIIM_PIXEL_DATA_REPRESENTATION_NUMBER" Group="0x2001" Element="0x1160" PMSVR="IUInt16">${i}</Attribute>
<Attribute Name="PIIM_PIXEL_DATA_REPRESENTATION_ROWS" Group="0x2001" Element="0x1161" PMSVR="IUInt32">${o.levels[i].height}</Attribute>
</DataObject>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8" ?>
<DataObject ObjectType="DPUfsImport">
<Attribute Name="DICOM_ACQUISITION_DATETIME" Group="0x0008" Element="0x002A" PMSVR="IString">20240102103000.000000</Attribute>
<Attribute Name="DICOM_MANUFACTURER" Group="0x0008" Element="0x0070" PMSVR="IString">PHILIPS</Attribute>
<Attribute Name="DICOM_SOFTWARE_VERSIONS" Group="0x0018" Element="0x1020" PMSVR="IStringArray">${q('4.0.3')}</Attribute>
<Attribute Name="PIM_DP_UFS_INTERFACE_VERSION" Group="0x301D" Element="0x1001" PMSVR="IString">5.0</Attribute>
<Attribute Name="PIM_DP_SCANNED_IMAGES" Group="0x301D" Element="0x1003" PMSVR="IDataObjectArray">
<Array>
<DataObject ObjectType="DPScannedImage">
<Attribute Name="DICOM_DERIVATION_DESCRIPTION" Group="0x0008" Element="0x2111" PMSVR="IString">tiff-useBigTIFF=1-useRgb=0-levels=10003,10002,10000,10001-processing=0-q80-sourceFilename=&quot;T12345.svs&quot;</Attribute>
<Attribute Name="DICOM_PIXEL_SPACING" Group="0x0028" Element="0x0030" PMSVR="IDoubleArray">${q(String(o.spacings[0]))} ${q(String(o.spacings[0]))}</Attribute>
<Attribute Name="PIM_DP_IMAGE_COLUMNS" Group="0x301D" Element="0x1007" PMSVR="IUInt32">${o.levels[0].width}</Attribute>
<Attribute Name="PIM_DP_IMAGE_ROWS" Group="0x301D" Element="0x1006" PMSVR="IUInt32">${o.levels[0].height}</Attribute>
<Attribute Name="PIM_DP_IMAGE_TYPE" Group="0x301D" Element="0x1004" PMSVR="IString">WSI</Attribute>
<Attribute Name="PIIM_PIXEL_DATA_REPRESENTATION_SEQUENCE" Group="0x1001" Element="0x8B01" PMSVR="IDataObjectArray">
<Array>
${reps}
</Array>
</Attribute>
</DataObject>
<DataObject ObjectType="DPScannedImage">
<Attribute Name="PIM_DP_IMAGE_DATA" Group="0x301D" Element="0x1005" PMSVR="IString">${o.macroBase64}</Attribute>
<Attribute Name="PIM_DP_IMAGE_TYPE" Group="0x301D" Element="0x1004" PMSVR="IString">MACROIMAGE</Attribute>
</DataObject>
</Array>
</Attribute>
</DataObject>`;
}

export async function writePhilipsTiff(o: PhilipsFixtureOptions = {}): Promise<Buffer> {
  const tile = o.tile ?? 256;
  const width = o.width ?? 768;
  const height = o.height ?? 512;
  const spacing0 = 0.000227273;
  const l0 = testCard(width, height);
  // Level 1 as Philips stores it: padded out to whole tiles (the XML's spacing says its true size).
  const half = shrink(l0, width, height, 2);
  const l1w = Math.ceil(half.width / tile) * tile;
  const l1h = Math.ceil(half.height / tile) * tile;
  const l1 = Buffer.alloc(l1w * l1h * 3, 255);
  for (let y = 0; y < half.height; y++) half.data.copy(l1, y * l1w * 3, y * half.width * 3, (y + 1) * half.width * 3);

  const macroRaw = testCard(300, 120);
  const macro = await jpeg(macroRaw, 300, 120);
  let xml = philipsXml({
    spacings: [spacing0, spacing0 * 2],
    macroBase64: macro.toString('base64'),
    levels: [
      { width, height },
      { width: l1w, height: l1h },
    ],
  });
  if (o.xml) xml = o.xml(xml);

  const missing = new Set((o.missing ?? []).map(([c, r]) => `${c},${r}`));
  const across = Math.ceil(width / tile);
  const level = async (raw: Buffer, w: number, h: number, sparse: boolean): Promise<Buffer[]> =>
    Promise.all(cutTiles(raw, w, h, 3, tile, tile).map((t, i) => (sparse && missing.has(`${i % across},${Math.floor(i / across)}`) ? Buffer.alloc(0) : jpeg(t, tile, tile))));
  const common = (description?: string): { tag: number; type: number; value: string }[] => [
    { tag: Tag.Software, type: TYPE.ASCII, value: 'Philips DP v1.0' },
    ...(description === undefined ? [] : [{ tag: Tag.ImageDescription, type: TYPE.ASCII, value: description }]),
  ];
  const ifds: IfdSpec[] = [
    { entries: [...tiledImageEntries({ width, height, tileWidth: tile, tileHeight: tile, compression: Compression.JPEG, photometric: 6 }), ...common(xml)], pieces: await level(l0, width, height, true) },
    { entries: [...tiledImageEntries({ width: l1w, height: l1h, tileWidth: tile, tileHeight: tile, compression: Compression.JPEG, photometric: 6, subfileType: 1, description: 'level=1 mag=20 quality=80' }), ...common()], pieces: await level(l1, l1w, l1h, false) },
  ];
  if (o.labelDirectory ?? true) {
    const labelRaw = Buffer.from(testCard(200, 100).map((v) => 255 - v));
    ifds.push({
      entries: [
        { tag: Tag.NewSubfileType, type: TYPE.LONG, value: [1] },
        { tag: Tag.ImageWidth, type: TYPE.LONG, value: [200] },
        { tag: Tag.ImageLength, type: TYPE.LONG, value: [100] },
        { tag: Tag.BitsPerSample, type: TYPE.SHORT, value: [8, 8, 8] },
        { tag: Tag.Compression, type: TYPE.SHORT, value: [Compression.JPEG] },
        { tag: Tag.Photometric, type: TYPE.SHORT, value: [6] },
        { tag: Tag.SamplesPerPixel, type: TYPE.SHORT, value: [3] },
        { tag: Tag.RowsPerStrip, type: TYPE.LONG, value: [100] },
        { tag: Tag.PlanarConfiguration, type: TYPE.SHORT, value: [1] },
        ...common('Label'),
      ],
      pieces: [await jpeg(labelRaw, 200, 100)],
      strips: true,
    });
  }
  return writeTiff({ ifds });
}
