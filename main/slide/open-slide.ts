// The slide engine's front door: finds the format that recognises a file and opens it.
import { FileSource } from './file-source.js';
import { slideFormats } from './formats/index.js';
import { SlideError } from './slide-errors.js';
import type { OpenSlideOptions, SlideReader } from './slide-reader.js';
import { TiffFile } from './tiff/tiff-file.js';

export type { OpenSlideOptions } from './slide-reader.js';

export async function openSlide(path: string, options: OpenSlideOptions = {}): Promise<SlideReader> {
  const source = await FileSource.open(path);
  try {
    for (const format of slideFormats) {
      if (await format.detect(source)) return await format.open(source, options);
    }
    throw new SlideError('unsupported-format', await unsupportedMessage(source));
  } catch (err) {
    await source.close().catch(() => undefined);
    throw asSlideError(err, path);
  }
}

async function unsupportedMessage(source: FileSource): Promise<string> {
  if (await TiffFile.isTiff(source)) {
    return `${source.path} is a TIFF file but not a tiled slide: its first image has no tiles (Tessera reads tiled pyramids such as Aperio SVS, OME-TIFF and pyramidal TIFF)`;
  }
  return `${source.path} is not a slide format Tessera can read (supported: Aperio SVS, OME-TIFF, tiled pyramidal TIFF/BigTIFF)`;
}

/** Anything unexpected from a decoder or the file system becomes a SlideError, so callers have one type to catch. */
export function asSlideError(err: unknown, path: string): SlideError {
  if (err instanceof SlideError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SlideError('corrupt', `${path} could not be read: ${message}`);
}
