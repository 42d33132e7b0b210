// JPEG decode and encode straight through libjpeg-turbo's TurboJPEG API, without a libvips pipeline
// around each call. Why not sharp here, which wraps the same libjpeg-turbo: a sharp call costs ~0.7 ms
// of fixed pipeline overhead, several times the work of a tile (bench/jpeg-codec.bench.ts, CMU-1's
// 240-px tiles, one at a time: decode 0.80 → 0.21 ms, encode 0.72 → 0.14 ms). A 254/1 Deep Zoom tile is
// 4–9 decodes and one encode, so this is most of a tile's time.
// Two ways in, both on libuv's threadpool:
//  - the TurboJPEG library itself through koffi (FFI), where one can be loaded: the prebuilt
//    libturbojpeg that @julusian/jpeg-turbo ships for Linux, else the system's (Debian's libturbojpeg0,
//    Homebrew's jpeg-turbo). Accurate IDCT (OpenSlide's pixels exactly) and libjpeg's DCT scaling
//    (1/2, 1/4, 1/8: a tile cut at 2× decodes at half size instead of decode-then-halve);
//  - else @julusian/jpeg-turbo's N-API prebuilds (all desktop platforms): fast integer IDCT, fixed by the
//    binding (within 1 level on average, a few at most: main/testing/jpeg-decode-tolerance.ts), no scaling.
// Encoding always goes through the binding. sharp stays the fallback for whatever this declines (CMYK,
// 12-bit, streams libjpeg warns about, no binding): it is more lenient and its messages name the problem.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseJpegHeader } from './jpeg-header.js';
import { PixelBufferPool } from '../pixel-buffer-pool.js';

const require = createRequire(import.meta.url);

interface TurboBinding {
  FORMAT_RGB: number;
  FORMAT_RGBA: number;
  SAMP_420: number;
  decompress(image: Buffer, options: { format: number }): Promise<{ data: Buffer; width: number; height: number; size: number }>;
  bufferSize(options: { width: number; height: number; subsampling: number }): number;
  compress(raw: Buffer, dst: Buffer, options: { format: number; width: number; height: number; quality: number; subsampling: number }): Promise<Buffer>;
}

/** tjDecompress2 through koffi: (handle, jpeg, size, out, width, pitch, height, pixel format, flags) → 0 or −1. */
interface TurboFfi {
  init(): unknown;
  destroy(handle: unknown): number;
  decompress(handle: unknown, jpeg: Buffer, size: number, out: Buffer, width: number, pitch: number, height: number, format: number, flags: number): Promise<number>;
  path: string;
}

const TJPF_RGB = 0;
const TJPF_RGBA = 7;
const TJFLAG_ACCURATEDCT = 4096;

let binding: TurboBinding | null | undefined;
const idleHandles: unknown[] = [];
const MAX_IDLE_HANDLES = 8;
let ffi: TurboFfi | null | undefined;

/** The binding, or null where it cannot load. Loaded once, on first use. */
function turbo(): TurboBinding | null {
  if (binding === undefined) {
    try {
      binding = require('@julusian/jpeg-turbo') as TurboBinding;
    } catch (err) {
      binding = null;
      process.emitWarning(`libjpeg-turbo's binding did not load (${(err as Error).message}); JPEG tiles go through sharp, several times slower`);
    }
  }
  return binding;
}

/** Where a TurboJPEG library may be: the binding's own Linux prebuild first, then the system's. */
function libraryCandidates(): string[] {
  const out: string[] = [];
  try {
    const prebuilds = join(dirname(require.resolve('@julusian/jpeg-turbo/package.json')), 'prebuilds');
    for (const suffix of ['', '-musl']) out.push(join(prebuilds, `jpeg-turbo-${process.platform}-${process.arch}${suffix}`, 'libturbojpeg.so.0'));
  } catch {
    // no binding installed: only system libraries
  }
  if (process.platform === 'darwin') out.push('libturbojpeg.0.dylib', '/opt/homebrew/lib/libturbojpeg.0.dylib', '/usr/local/lib/libturbojpeg.0.dylib');
  else if (process.platform === 'win32') out.push('turbojpeg.dll');
  else out.push('libturbojpeg.so.0');
  return out;
}

/** TurboJPEG through koffi, or null where no library loads (then the binding decodes, unscaled). */
function turboFfi(): TurboFfi | null {
  if (ffi !== undefined) return ffi;
  ffi = null;
  if (process.env.TESSERA_JPEG_FFI === '0') return ffi;
  let koffi: typeof import('koffi');
  try {
    koffi = require('koffi') as typeof import('koffi');
  } catch {
    return ffi;
  }
  for (const path of libraryCandidates()) {
    try {
      const lib = koffi.load(path);
      const init = lib.func('void *tjInitDecompress()');
      const destroy = lib.func('int tjDestroy(void *handle)');
      const decompress2 = lib.func(
        'int tjDecompress2(void *handle, const uint8_t *jpegBuf, unsigned long jpegSize, _Out_ uint8_t *dstBuf, int width, int pitch, int height, int pixelFormat, int flags)',
      );
      ffi = {
        path,
        init: () => init(),
        destroy: (h) => destroy(h) as number,
        decompress: (...args) =>
          new Promise((resolve, reject) => decompress2.async(...args, (err: unknown, rc: number) => (err ? reject(err as Error) : resolve(rc)))),
      };
      return ffi;
    } catch {
      // not here, or not TurboJPEG: try the next
    }
  }
  return ffi;
}

/** Whether JPEGs are coded here (false: the binding is missing on this platform). */
export function libjpegTurboAvailable(): boolean {
  return turbo() !== null;
}

/** Whether decodes can be DCT-scaled (and use the accurate IDCT): the library loaded through koffi. */
export function libjpegTurboScales(): boolean {
  return turboFfi() !== null;
}

/** Which decoder JPEG tiles go through here, in words (benches print it). */
export function jpegDecoderDescription(): string {
  const lib = turboFfi();
  if (lib) return `TurboJPEG through koffi (${lib.path}): accurate IDCT, DCT scaling`;
  return turbo() ? '@julusian/jpeg-turbo binding: fast integer IDCT, no DCT scaling' : 'sharp (libvips)';
}

export interface DecodedJpeg {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

/**
 * A complete 8-bit grey or three-component JPEG decoded to RGB (`channels` 3) or RGBA (4, alpha 255),
 * reduced by `scale` (1, 2, 4 or 8) with libjpeg's DCT scaling: ceil(width / scale) × ceil(height / scale).
 * The header's size is checked against `maxPixels` (full size) before any pixel memory is allocated.
 * Null when declined: no library (or, for scale > 1, none that scales), a header it cannot parse, CMYK or
 * 12-bit samples, too many pixels, or any libjpeg error or warning (a truncated stream, a missing EOI).
 * The caller then decodes it with sharp, which tolerates what libjpeg only warns about and words errors.
 * `into`, when it has exactly the decoded size, receives the pixels instead of a new buffer (the caller
 * recycles buffers; its contents are undefined after a null).
 */
export async function decodeWithLibjpegTurbo(stream: Buffer, maxPixels: number, channels: 3 | 4, scale = 1, into?: Buffer): Promise<DecodedJpeg | null> {
  let width: number;
  let height: number;
  try {
    ({ width, height } = parseJpegHeader(stream, 'A JPEG tile', false));
  } catch {
    return null;
  }
  if (width < 1 || height < 1 || width * height > maxPixels || ![1, 2, 4, 8].includes(scale)) return null;
  const lib = turboFfi();
  if (lib) {
    const w = Math.ceil(width / scale);
    const h = Math.ceil(height / scale);
    const out = into?.length === w * h * channels ? into : Buffer.allocUnsafe(w * h * channels);
    // A handle serves one call at a time; idle ones are kept for the next (each costs an init).
    const handle = idleHandles.pop() ?? lib.init();
    if (!handle) return null;
    const ok = await lib.decompress(handle, stream, stream.length, out, w, 0, h, channels === 3 ? TJPF_RGB : TJPF_RGBA, TJFLAG_ACCURATEDCT).then(
      (rc) => rc === 0,
      () => false,
    );
    // After an error a handle is reset by its next use; keep a few, destroy the rest.
    if (idleHandles.length < MAX_IDLE_HANDLES) idleHandles.push(handle);
    else lib.destroy(handle);
    return ok ? { data: out, width: w, height: h, channels } : null;
  }
  const tj = turbo();
  if (!tj || scale !== 1) return null;
  try {
    const out = await tj.decompress(stream, { format: channels === 3 ? tj.FORMAT_RGB : tj.FORMAT_RGBA });
    if (out.width !== width || out.height !== height || out.data.length < width * height * channels) return null;
    return { data: out.data.length === width * height * channels ? out.data : out.data.subarray(0, width * height * channels), width, height, channels };
  } catch {
    return null;
  }
}

/** Idle encode destinations (tjBufSize of a tile's size), reused one call at a time. */
const encodeDestinations = new PixelBufferPool(4 * 1024 * 1024);

/**
 * width × height tightly packed RGB as a baseline JPEG with 4:2:0 chroma, as sharp's default, so tiles
 * look and weigh as before. Null when the binding is missing (the caller uses sharp).
 * The binding compresses into a worst-case buffer (tjBufSize: ~194 KiB for a 256² tile) and returns a view
 * of it: a 10 KiB tile kept in a cache would pin all of it. So it compresses into a pooled destination and
 * the result is copied out at its own size (a copy of the tile's bytes: microseconds).
 */
export async function encodeWithLibjpegTurbo(rgb: Buffer, width: number, height: number, quality: number): Promise<Buffer> {
  const tj = turbo();
  if (!tj) throw new Error('libjpeg-turbo binding is not available (check libjpegTurboAvailable() first)');
  const options = { format: tj.FORMAT_RGB, width, height, quality, subsampling: tj.SAMP_420 };
  const dst = encodeDestinations.take(tj.bufferSize(options));
  try {
    return Buffer.from(await tj.compress(rgb, dst, options));
  } finally {
    encodeDestinations.give(dst);
  }
}
