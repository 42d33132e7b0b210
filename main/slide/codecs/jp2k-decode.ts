// The JPEG 2000 decoder itself: OpenJPEG compiled to WASM, one instance per thread that uses it. It runs
// inside the decode workers (jp2k-worker.ts); callers use decodeJp2k from jp2k.ts, which never blocks.
import { createRequire } from 'node:module';
import { SlideError } from '../slide-errors.js';
import type { RgbaImage } from './rgba.js';

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}
interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): FrameInfo;
  delete(): void;
}
interface OpenJpegModule {
  J2KDecoder: new () => J2KDecoder;
}

const require = createRequire(import.meta.url);
let modulePromise: Promise<OpenJpegModule> | null = null;

function openJpeg(): Promise<OpenJpegModule> {
  if (!modulePromise) {
    const factory = require('@cornerstonejs/codec-openjpeg/decodewasmjs') as (options: object) => Promise<OpenJpegModule>;
    // OpenJPEG logs every header it reads; errors surface through exceptions instead.
    const quiet = (): void => undefined;
    modulePromise = factory({ print: quiet, printErr: quiet });
    wasmInstantiations++;
  }
  return modulePromise;
}

/** How many times this thread has instantiated the WASM module (1 unless a decode aborted it). */
export let wasmInstantiations = 0;

/**
 * Decodes one codestream to RGBA on this thread. `ycbcr` is Aperio 33003: its components are YCbCr without
 * a JPEG 2000 colour transform, so OpenJPEG hands them back unconverted and we convert (as OpenSlide does).
 */
export async function decodeJp2kHere(codestream: Uint8Array, ycbcr: boolean): Promise<RgbaImage> {
  const mod = await openJpeg();
  let decoder: J2KDecoder | null = null;
  try {
    decoder = new mod.J2KDecoder();
    decoder.getEncodedBuffer(codestream.length).set(codestream);
    decoder.decode();
    const info = decoder.getFrameInfo();
    const { width, height, componentCount: n } = info;
    if (info.bitsPerSample !== 8 || (n !== 1 && n !== 3 && n !== 4)) {
      throw new SlideError('unsupported-feature', `JPEG 2000 tiles with ${n} components of ${info.bitsPerSample} bits are not supported`);
    }
    const decoded = decoder.getDecodedBuffer();
    if (decoded.length < width * height * n) {
      throw new SlideError('unsupported-feature', 'JPEG 2000 tiles with subsampled components are not supported');
    }
    return interleavedToRgba(decoded, width, height, n, ycbcr && n >= 3);
  } catch (err) {
    if (err instanceof SlideError) throw err;
    // An abort can leave the WASM instance unusable: start a fresh one next time.
    modulePromise = null;
    throw new SlideError('corrupt', `A JPEG 2000 tile could not be decoded: ${(err as Error)?.message ?? String(err)}`);
  } finally {
    try {
      decoder?.delete();
    } catch {
      // A decoder from an aborted instance cannot be deleted; the instance is dropped above.
    }
  }
}

function interleavedToRgba(src: Uint8Array, width: number, height: number, n: number, ycbcr: boolean): RgbaImage {
  const count = width * height;
  // Unpooled: the worker transfers this memory to the main thread.
  const out = Buffer.allocUnsafeSlow(count * 4);
  for (let i = 0; i < count; i++) {
    const s = i * n;
    const o = i * 4;
    if (n === 1) {
      out[o] = out[o + 1] = out[o + 2] = src[s];
      out[o + 3] = 255;
      continue;
    }
    if (ycbcr) {
      // ITU-R BT.601 full range, as OpenSlide's decode-jp2k converts.
      const y = src[s];
      const cb = src[s + 1] - 128;
      const cr = src[s + 2] - 128;
      out[o] = clamp(y + 1.402 * cr);
      out[o + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
      out[o + 2] = clamp(y + 1.772 * cb);
    } else {
      out[o] = src[s];
      out[o + 1] = src[s + 1];
      out[o + 2] = src[s + 2];
    }
    out[o + 3] = n === 4 ? src[s + 3] : 255;
  }
  return { data: out, width, height, channels: 4 };
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/**
 * Reads the image size from the SIZ marker (right after SOC) and refuses sizes beyond the tile's:
 * a corrupt header must not make the decoder allocate a huge image.
 */
export function checkCodestreamSize(cs: Buffer, maxWidth: number, maxHeight: number): void {
  if (cs.length < 4 + 2 + 2 + 16 || cs.readUInt16BE(0) !== 0xff4f || cs.readUInt16BE(2) !== 0xff51) {
    throw new SlideError('corrupt', 'A JPEG 2000 tile does not start with a codestream header');
  }
  const width = cs.readUInt32BE(8) - cs.readUInt32BE(16);
  const height = cs.readUInt32BE(12) - cs.readUInt32BE(20);
  if (width < 1 || height < 1 || width > maxWidth || height > maxHeight) {
    throw new SlideError('corrupt', `A JPEG 2000 tile claims ${width}×${height} pixels where at most ${maxWidth}×${maxHeight} fit`);
  }
}
