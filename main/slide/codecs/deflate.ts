// Deflate (TIFF compression 8 and 32946): zlib streams, inflated with a cap on the output size.
import { inflateSync } from 'node:zlib';
import { SlideError } from '../slide-errors.js';

export function inflateTiffPiece(data: Buffer, expectedBytes: number): Buffer {
  try {
    return inflateSync(data, { maxOutputLength: Math.max(expectedBytes, 1) });
  } catch (err) {
    throw new SlideError('corrupt', `A Deflate-compressed tile could not be decoded: ${(err as Error).message}`);
  }
}
