// Test helper: a small Ventana BIF as OpenSlide 3.4.1's ventana driver reads one. Directory 0 is the
// "Label Image" (stripped JPEG) carrying the `<iScan>` XMP packet; directory 1 the "Thumbnail"; then the
// levels "level=0 mag=40 quality=90" (with the `<EncodeInfo>` XMP: one scanned area of raw camera tiles
// that overlap by the TileJointInfo overlaps, numbered serpentine from the bottom row, and one unscanned
// AOI) and "level=1 mag=20 quality=90" (the same raw tiles shrunk by 2, not stitched). JPEG (YCbCr) tiles.
import { Compression, Tag } from '../tiff/tiff-tags.js';
import { testCard } from './fixtures.js';
import { jpeg, shrink } from './philips-writer.js';
import { cutTiles, tiledImageEntries, TYPE, writeTiff, type EntrySpec, type IfdSpec } from './tiff-writer.js';

export const VENTANA_TILE = 128;
/** Raw tiles across and down the scanned area. */
export const VENTANA_COLS = 4;
export const VENTANA_ROWS = 3;
/** Joint overlaps: RIGHT joints 3, 5, 4 px along each row (equal confidence: mean 4), UP joints 2 px. */
export const VENTANA_ADVANCE_X = VENTANA_TILE - 4;
export const VENTANA_ADVANCE_Y = VENTANA_TILE - 2;

export interface VentanaFixtureOptions {
  /** Edit the iScan XMP (malformed-input tests). */
  iscanXml?: (xml: string) => string;
  /** Edit the level-0 EncodeInfo XMP. */
  encodeXml?: (xml: string) => string;
  /** Leave out the level-0 XMP: a "Ventana TIFF" with plain levels. */
  noEncodeInfo?: boolean;
  /** Wrap iScan in a `<Metadata>` root, as some slides do. */
  metadataRoot?: boolean;
  /** Replace a level's ImageDescription. */
  levelDescription?: (level: number, description: string) => string;
}

/** Serpentine tile number (1-based) of the tile at (col, row), rows counted from the top. */
export function ventanaTileNumber(col: number, row: number, cols = VENTANA_COLS, rows = VENTANA_ROWS): number {
  const fromBottom = rows - 1 - row;
  const index = fromBottom % 2 ? cols - 1 - col : col;
  return fromBottom * cols + index + 1;
}

export function ventanaIscanXml(metadataRoot = false): string {
  const iscan = `<iScan BuildDate="11/21/2014" BuildVersion="3.3.0.2" CapDate="2024-01-02T10:30:00" Magnification="40" ScanRes="0.2325" UnitNumber="BI12345" ScannerModel="iScan HT" SlideAnnotation="" Barcode1D="VENTANA-42" ShowLabel="1"><AOI0 Left="10" Top="20" Right="110" Bottom="90"/></iScan>`;
  return `<?xml version="1.0" encoding="utf-8"?>\n${metadataRoot ? `<Metadata>${iscan}</Metadata>` : iscan}`;
}

export function ventanaEncodeXml(): string {
  const joints: string[] = [];
  for (let row = 0; row < VENTANA_ROWS; row++) {
    for (let col = 0; col < VENTANA_COLS; col++) {
      if (col + 1 < VENTANA_COLS) {
        const overlap = [3, 5, 4][col % 3];
        joints.push(
          `<TileJointInfo FlagJoined="1" Direction="RIGHT" Tile1="${ventanaTileNumber(col, row)}" Tile2="${ventanaTileNumber(col + 1, row)}" OverlapX="${overlap}" OverlapY="1" Confidence="60"/>`,
        );
      }
      if (row > 0) {
        joints.push(
          `<TileJointInfo FlagJoined="1" Direction="UP" Tile1="${ventanaTileNumber(col, row)}" Tile2="${ventanaTileNumber(col, row - 1)}" OverlapX="-1" OverlapY="2" Confidence="${40 + col}"/>`,
        );
      }
    }
  }
  return `<?xml version="1.0" encoding="utf-8"?>
<EncodeInfo Ver="2">
<SlideInfo><AoiInfo XIMAGESIZE="${VENTANA_TILE}" YIMAGESIZE="${VENTANA_TILE}" NumRows="${VENTANA_ROWS}" NumCols="${VENTANA_COLS}" Pos-X="0" Pos-Y="0" AOIIndex="0"/></SlideInfo>
<SlideStitchInfo>
<ImageInfo AOIScanned="1" AOIIndex="0" NumRows="${VENTANA_ROWS}" NumCols="${VENTANA_COLS}" Width="${VENTANA_TILE}" Height="${VENTANA_TILE}" Pos-X="0.0" Pos-Y="0">
${joints.join('\n')}
</ImageInfo>
<ImageInfo AOIScanned="0" AOIIndex="1" NumRows="1" NumCols="1" Width="${VENTANA_TILE}" Height="${VENTANA_TILE}" Pos-X="0" Pos-Y="0"/>
</SlideStitchInfo>
<AoiOrigin>
<AOI0 OriginX="0" OriginY="0"/>
<AOI1 OriginX="0" OriginY="0"/>
</AoiOrigin>
</EncodeInfo>`;
}

/** The stitched scan the raw tiles are cut from (what OpenSlide's level 0 shows). */
export function ventanaCanvas(): { data: Buffer; width: number; height: number } {
  const width = (VENTANA_COLS - 1) * VENTANA_ADVANCE_X + VENTANA_TILE;
  const height = (VENTANA_ROWS - 1) * VENTANA_ADVANCE_Y + VENTANA_TILE;
  return { data: testCard(width, height), width, height };
}

const xmp = (text: string): EntrySpec => ({ tag: 700, type: TYPE.BYTE, value: Buffer.from(text, 'utf8') });

function stripped(
  raw: Buffer,
  width: number,
  height: number,
  description: string,
  extra: EntrySpec[],
): Promise<IfdSpec> {
  return jpeg(raw, width, height).then((piece) => ({
    entries: [
      { tag: Tag.NewSubfileType, type: TYPE.LONG, value: [0] },
      { tag: Tag.ImageWidth, type: TYPE.LONG, value: [width] },
      { tag: Tag.ImageLength, type: TYPE.LONG, value: [height] },
      { tag: Tag.BitsPerSample, type: TYPE.SHORT, value: [8, 8, 8] },
      { tag: Tag.Compression, type: TYPE.SHORT, value: [Compression.JPEG] },
      { tag: Tag.Photometric, type: TYPE.SHORT, value: [6] },
      { tag: Tag.ImageDescription, type: TYPE.ASCII, value: description },
      { tag: Tag.SamplesPerPixel, type: TYPE.SHORT, value: [3] },
      { tag: Tag.RowsPerStrip, type: TYPE.LONG, value: [height] },
      { tag: Tag.PlanarConfiguration, type: TYPE.SHORT, value: [1] },
      ...extra,
    ],
    pieces: [piece],
    strips: true,
  }));
}

export async function writeVentanaBif(o: VentanaFixtureOptions = {}): Promise<Buffer> {
  const t = VENTANA_TILE;
  const canvas = ventanaCanvas();
  // Level 0: the raw tiles side by side, each a crop of the canvas at its advance-spaced position.
  const mosaicW = VENTANA_COLS * t;
  const mosaicH = VENTANA_ROWS * t;
  const mosaic = Buffer.alloc(mosaicW * mosaicH * 3);
  for (let row = 0; row < VENTANA_ROWS; row++) {
    for (let col = 0; col < VENTANA_COLS; col++) {
      for (let y = 0; y < t; y++) {
        const src = ((row * VENTANA_ADVANCE_Y + y) * canvas.width + col * VENTANA_ADVANCE_X) * 3;
        canvas.data.copy(mosaic, ((row * t + y) * mosaicW + col * t) * 3, src, src + t * 3);
      }
    }
  }
  const small = shrink(mosaic, mosaicW, mosaicH, 2);
  const level = async (
    raw: Buffer,
    w: number,
    h: number,
    n: number,
    mag: number,
    extra: EntrySpec[],
  ): Promise<IfdSpec> => {
    const plain = `level=${n} mag=${mag} quality=90`;
    return {
      entries: [
        ...tiledImageEntries({
          width: w,
          height: h,
          tileWidth: t,
          tileHeight: t,
          compression: Compression.JPEG,
          photometric: 6,
          description: o.levelDescription ? o.levelDescription(n, plain) : plain,
        }),
        { tag: Tag.XResolution, type: TYPE.RATIONAL, value: [25400, 1] },
        { tag: Tag.YResolution, type: TYPE.RATIONAL, value: [25400, 1] },
        { tag: Tag.ResolutionUnit, type: TYPE.SHORT, value: [2] },
        { tag: Tag.Software, type: TYPE.ASCII, value: 'ScanOutputManager 1.1.0.15854' },
        ...extra,
      ],
      pieces: await Promise.all(cutTiles(raw, w, h, 3, t, t).map((p) => jpeg(p, t, t))),
    };
  };
  let iscan = ventanaIscanXml(o.metadataRoot);
  if (o.iscanXml) iscan = o.iscanXml(iscan);
  let encode = ventanaEncodeXml();
  if (o.encodeXml) encode = o.encodeXml(encode);
  const label = Buffer.from(testCard(160, 120).map((v) => 255 - v));
  const thumb = shrink(canvas.data, canvas.width, canvas.height, 4);
  return writeTiff({
    ifds: [
      await stripped(label, 160, 120, 'Label Image', [xmp(iscan)]),
      await stripped(thumb.data, thumb.width, thumb.height, 'Thumbnail', []),
      await level(mosaic, mosaicW, mosaicH, 0, 40, o.noEncodeInfo ? [] : [xmp(encode)]),
      await level(small.data, small.width, small.height, 1, 20, []),
    ],
  });
}
