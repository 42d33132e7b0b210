// Test helper: a small Leica SCN as OpenSlide 3.4.1's leica driver reads one: a tiled TIFF whose first
// ImageDescription is the scn XML; a macro image covering the collection (directories 0 and 1), then one
// brightfield main image at an offset inside it (directories 2 and 3), JPEG tiles, resolution in cm.
import { Compression, Tag } from '../tiff/tiff-tags.js';
import { testCard } from './fixtures.js';
import { jpeg, shrink } from './philips-writer.js';
import { cutTiles, tiledImageEntries, TYPE, writeTiff, type IfdSpec } from './tiff-writer.js';

export const LEICA_NS = 'http://www.leica-microsystems.com/scn/2010/10/01';

export function leicaXml(o: { barcode: string }): string {
  const b64 = Buffer.from(o.barcode).toString('base64');
  return `<?xml version="1.0"?>
<scn xmlns="${LEICA_NS}">
  <collection name="fixture" uuid="a-b-c" sizeX="600000" sizeY="400000">
    <barcode>${b64}</barcode>
    <image name="macro" uuid="m-1">
      <creationDate>2024-01-02T10:30:00.00Z</creationDate>
      <device model="Leica SCN400;Leica SCN" version="1.5.1.10804 2012/05/10 13:29:07;1.5.1.10864"/>
      <pixels sizeX="300" sizeY="200">
        <dimension sizeX="300" sizeY="200" r="0" ifd="0"/>
        <dimension sizeX="150" sizeY="100" r="1" ifd="1"/>
      </pixels>
      <view sizeX="600000" sizeY="400000" offsetX="0" offsetY="0" spacingZ="0"/>
      <scanSettings>
        <objectiveSettings><objective>1</objective></objectiveSettings>
        <illuminationSettings><numericalAperture>0.04</numericalAperture><illuminationSource>brightfield</illuminationSource></illuminationSettings>
      </scanSettings>
    </image>
    <image name="main" uuid="i-1">
      <creationDate>2024-01-02T10:31:00.00Z</creationDate>
      <device model="Leica SCN400;Leica SCN" version="1.5.1.10804 2012/05/10 13:29:07;1.5.1.10864"/>
      <pixels sizeX="768" sizeY="512">
        <dimension sizeX="384" sizeY="256" r="1" ifd="3"/>
        <dimension sizeX="768" sizeY="512" r="0" ifd="2"/>
      </pixels>
      <view sizeX="384000" sizeY="256000" offsetX="100000" offsetY="50000" spacingZ="0"/>
      <scanSettings>
        <objectiveSettings><objective>20</objective></objectiveSettings>
        <illuminationSettings><numericalAperture>0.4</numericalAperture><illuminationSource>brightfield</illuminationSource></illuminationSettings>
      </scanSettings>
    </image>
  </collection>
</scn>`;
}

export async function writeLeicaScn(o: { xml?: (xml: string) => string } = {}): Promise<Buffer> {
  const tile = 256;
  let xml = leicaXml({ barcode: 'LEICA-FIXTURE-42' });
  if (o.xml) xml = o.xml(xml);
  const tiled = async (raw: Buffer, w: number, h: number): Promise<Buffer[]> => Promise.all(cutTiles(raw, w, h, 3, tile, tile).map((t) => jpeg(t, tile, tile)));
  const ifd = async (raw: Buffer, w: number, h: number, extra: { description?: string; mppCm?: number }): Promise<IfdSpec> => ({
    entries: [
      ...tiledImageEntries({ width: w, height: h, tileWidth: tile, tileHeight: tile, compression: Compression.JPEG, photometric: 6, description: extra.description }),
      ...(extra.mppCm
        ? [
            { tag: Tag.XResolution, type: TYPE.RATIONAL, value: [Math.round(10000 / extra.mppCm), 1] },
            { tag: Tag.YResolution, type: TYPE.RATIONAL, value: [Math.round(10000 / extra.mppCm), 1] },
            { tag: Tag.ResolutionUnit, type: TYPE.SHORT, value: [3] },
          ]
        : []),
    ],
    pieces: await tiled(raw, w, h),
  });
  const macro = Buffer.from(testCard(300, 200).map((v) => 255 - v));
  const macroSmall = shrink(macro, 300, 200, 2);
  const main = testCard(768, 512);
  const mainSmall = shrink(main, 768, 512, 2);
  return writeTiff({
    ifds: [
      await ifd(macro, 300, 200, { description: xml }),
      await ifd(macroSmall.data, 150, 100, {}),
      await ifd(main, 768, 512, { mppCm: 0.5 }),
      await ifd(mainSmall.data, 384, 256, { mppCm: 1 }),
    ],
  });
}
