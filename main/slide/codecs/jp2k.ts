// JPEG 2000 codestreams (Aperio compression 33003 = YCbCr, 33005 = RGB; DICOM JPEG 2000 frames), decoded
// by OpenJPEG (WASM) in a worker-thread pool so the event loop never waits on a decode.
import { checkCodestreamSize } from './jp2k-decode.js';
import { jp2kPool } from './jp2k-pool.js';
import type { RgbaImage } from './rgba.js';

/**
 * Decodes one codestream to RGBA off the main thread. `ycbcr`: components are YCbCr without a JPEG 2000
 * colour transform (Aperio 33003), converted after decoding as OpenSlide does. The size in the header is
 * checked here first, so a corrupt header never makes a worker allocate a huge image. Errors are SlideErrors.
 */
export async function decodeJp2k(codestream: Buffer, ycbcr: boolean, maxWidth: number, maxHeight: number): Promise<RgbaImage> {
  checkCodestreamSize(codestream, maxWidth, maxHeight);
  return jp2kPool().decode(codestream, ycbcr);
}
