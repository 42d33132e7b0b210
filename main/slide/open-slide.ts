// The slide engine's front door: finds the format that recognises a file (or a folder, for formats
// whose slide is several files, such as DICOM) and opens it.
import { stat } from 'node:fs/promises';
import { FileSource } from './file-source.js';
import { slideFormats, supportedFormatsText } from './formats/index.js';
import { SlideError } from './slide-errors.js';
import type { OpenSlideOptions, SlideReader } from './slide-reader.js';
import { TiffFile } from './tiff/tiff-file.js';

export type { OpenSlideOptions } from './slide-reader.js';

/** The formats `formats/index.ts` lists, for messages. */
const SUPPORTED = supportedFormatsText();

export async function openSlide(path: string, options: OpenSlideOptions = {}): Promise<SlideReader> {
  if (await isDirectory(path)) return openDirectory(path, options);
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

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false; // FileSource.open reports a missing or unreadable path.
  }
}

async function openDirectory(path: string, options: OpenSlideOptions): Promise<SlideReader> {
  try {
    for (const format of slideFormats) {
      if (format.detectDirectory && format.openDirectory && (await format.detectDirectory(path))) return await format.openDirectory(path, options);
    }
    throw new SlideError('unsupported-format', `${path} is a folder that holds no slide Tessera can read (supported: ${SUPPORTED})`);
  } catch (err) {
    throw asSlideError(err, path);
  }
}

async function unsupportedMessage(source: FileSource): Promise<string> {
  if (await TiffFile.isTiff(source)) {
    return `${source.path} is a TIFF file but not a tiled slide: its first image has no tiles (supported: ${SUPPORTED})`;
  }
  return `${source.path} is not a slide format Tessera can read (supported: ${SUPPORTED})`;
}

/** Anything unexpected from a decoder or the file system becomes a SlideError, so callers have one type to catch. */
export function asSlideError(err: unknown, path: string): SlideError {
  if (err instanceof SlideError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SlideError('corrupt', `${path} could not be read: ${message}`);
}
