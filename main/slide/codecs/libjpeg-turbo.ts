// JPEG decode and encode straight through libjpeg-turbo's TurboJPEG API (the @julusian/jpeg-turbo
// N-API prebuilds, on libuv's threadpool), without a libvips pipeline around each call.
// Why not sharp here, which wraps the same libjpeg-turbo: a sharp call costs ~0.7 ms of fixed pipeline
// overhead, several times the work of a tile. bench/jpeg-codec.bench.ts, CMU-1's 240-px tiles, one at a
// time: decode 0.80 → 0.21 ms, encode 0.72 → 0.14 ms (3.8×, 5.0×). A 254/1 Deep Zoom tile is 4–9
// decodes and one encode, so this is most of a tile's time. Its decoder uses the fast integer IDCT
// (TJFLAG_FASTDCT, fixed by the binding): pixels within 1 level of the accurate IDCT on average, a few
// at most (main/testing/jpeg-decode-tolerance.ts).
// sharp stays the fallback for whatever this declines (CMYK, 12-bit, streams libjpeg warns about, a
// platform without the prebuild): it is more lenient and its messages name the problem.
import { createRequire } from 'node:module';
import { parseJpegHeader } from './jpeg-header.js';

interface TurboBinding {
  FORMAT_RGB: number;
  FORMAT_RGBA: number;
  SAMP_420: number;
  decompress(image: Buffer, options: { format: number }): Promise<{ data: Buffer; width: number; height: number; size: number }>;
  compress(raw: Buffer, options: { format: number; width: number; height: number; quality: number; subsampling: number }): Promise<Buffer>;
}

let binding: TurboBinding | null | undefined;

/** The binding, or null where it cannot load (then every caller uses sharp). Loaded once, on first use. */
function turbo(): TurboBinding | null {
  if (binding === undefined) {
    try {
      binding = createRequire(import.meta.url)('@julusian/jpeg-turbo') as TurboBinding;
    } catch (err) {
      binding = null;
      process.emitWarning(`libjpeg-turbo's binding did not load (${(err as Error).message}); JPEG tiles go through sharp, several times slower`);
    }
  }
  return binding;
}

/** Whether JPEGs are coded here (false: the binding is missing on this platform). */
export function libjpegTurboAvailable(): boolean {
  return turbo() !== null;
}

export interface DecodedJpeg {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

/**
 * A complete 8-bit grey or three-component JPEG decoded to RGB (`channels` 3) or RGBA (4, alpha 255).
 * The header's size is checked against `maxPixels` before any pixel memory is allocated. Null when this
 * decoder declines the stream: no binding, a header it cannot parse, CMYK or 12-bit samples, too many
 * pixels, or any libjpeg error or warning (a truncated stream, a missing EOI). The caller then decodes
 * it with sharp, which tolerates what libjpeg only warns about and words the errors.
 */
export async function decodeWithLibjpegTurbo(stream: Buffer, maxPixels: number, channels: 3 | 4): Promise<DecodedJpeg | null> {
  const tj = turbo();
  if (!tj) return null;
  let width: number;
  let height: number;
  try {
    ({ width, height } = parseJpegHeader(stream, 'A JPEG tile', false));
  } catch {
    return null;
  }
  if (width < 1 || height < 1 || width * height > maxPixels) return null;
  try {
    const out = await tj.decompress(stream, { format: channels === 3 ? tj.FORMAT_RGB : tj.FORMAT_RGBA });
    if (out.width !== width || out.height !== height || out.data.length < width * height * channels) return null;
    return { data: out.data.length === width * height * channels ? out.data : out.data.subarray(0, width * height * channels), width, height, channels };
  } catch {
    return null;
  }
}

/**
 * width × height tightly packed RGB as a baseline JPEG with 4:2:0 chroma, as sharp's default, so tiles
 * look and weigh as before. Null when the binding is missing (the caller uses sharp).
 */
export function encodeWithLibjpegTurbo(rgb: Buffer, width: number, height: number, quality: number): Promise<Buffer> | null {
  const tj = turbo();
  if (!tj) return null;
  return tj.compress(rgb, { format: tj.FORMAT_RGB, width, height, quality, subsampling: tj.SAMP_420 });
}
