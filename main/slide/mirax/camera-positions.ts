// Where each camera photo sits in level-0 pixels: from the VIMSLIDE_POSITION_BUFFER record (9 bytes a
// photo: a flag byte, then x and y as int32 LE in level-0 pixels / concat), or the same zlib-compressed in
// StitchingIntensityLayer, or else a nominal grid of photos minus their overlap.
import { inflateSync } from 'node:zlib';
import type { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import type { MiraxSlideLayout } from './slide-layout.js';

/** x, y per photo (row-major over the photo grid), as one array [x0, y0, x1, y1, …]. */
export async function cameraPositions(
  layout: MiraxSlideLayout,
  concat0: number,
  record: () => { file: FileSource; offset: number; length: number },
): Promise<Int32Array> {
  const { imagesX, imagesY, divisions, sections } = layout;
  const s0 = sections[0];
  const positionsX = Math.trunc(imagesX / divisions);
  const npositions = positionsX * Math.trunc(imagesY / divisions);
  const positions = new Int32Array(npositions * 2);
  if (layout.vimslideRecord === -1 && layout.stitchingRecord === -1) {
    for (let i = 0; i < npositions; i++) {
      positions[i * 2] = (i % positionsX) * (s0.imageW * divisions - s0.overlapX);
      positions[i * 2 + 1] = Math.trunc(i / positionsX) * (s0.imageH * divisions - s0.overlapY);
    }
    return positions;
  }
  const { file: f, offset, length } = record();
  let buf = await f.read(offset, length);
  if (layout.stitchingRecord !== -1) {
    try {
      buf = inflateSync(buf, { maxOutputLength: 9 * npositions + 1 });
    } catch (err) {
      throw new SlideError('corrupt', `${f.path}: the slide position record could not be decompressed: ${(err as Error).message}`);
    }
  }
  if (buf.length !== 9 * npositions) throw new SlideError('corrupt', `${f.path}: the slide position record is ${buf.length} bytes where ${npositions} positions need ${9 * npositions}`);
  for (let i = 0; i < npositions; i++) {
    if (buf[i * 9] & 0xfe) throw new SlideError('corrupt', `${f.path}: unexpected flag value ${buf[i * 9]} in the slide position record`);
    positions[i * 2] = buf.readInt32LE(i * 9 + 1) * concat0;
    positions[i * 2 + 1] = buf.readInt32LE(i * 9 + 5) * concat0;
  }
  return positions;
}
