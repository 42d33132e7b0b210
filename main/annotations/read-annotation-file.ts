// Reads an annotation file a user names (QuPath GeoJSON or ASAP XML), by extension, then content.
// Only regular files up to `maxAnnotationFileBytes` are read: a named pipe would block Node's I/O thread
// pool, a device such as /dev/zero never ends.
import type { Stats } from 'node:fs';
import { fileKind, NotRegularFileError, openRegularFile } from '../common/regular-file.js';
import { importAsapXml } from './asap-import.js';
import { AnnotationImportError, type ImportedAnnotations } from './annotation-import-error.js';
import { importGeoJson } from './geojson-import.js';

/** The largest annotation file read (512 MiB). */
export const maxAnnotationFileBytes = 512 * 1024 * 1024;

/** Checks that `s` is a regular file of a readable size, or throws an AnnotationImportError naming `path`. */
function checkFile(path: string, s: Stats, format: 'geojson' | 'asap-xml'): void {
  if (!s.isFile()) throw new AnnotationImportError(format, 'file', `${path} is not a regular file: it is ${fileKind(s)}`);
  if (s.size > maxAnnotationFileBytes) {
    throw new AnnotationImportError(format, 'file', `${path} is ${s.size} bytes, larger than the ${maxAnnotationFileBytes / 1024 / 1024} MiB an annotation file may be`);
  }
}

export async function readAnnotationFile(path: string): Promise<ImportedAnnotations> {
  const byName = /\.xml$/i.test(path) ? 'asap-xml' : 'geojson';
  let opened;
  try {
    opened = await openRegularFile(path);
  } catch (err) {
    if (err instanceof NotRegularFileError) checkFile(path, err.stats, byName);
    throw err;
  }
  const { handle, stats } = opened;
  let text: string;
  try {
    checkFile(path, stats, byName);
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  const xml = byName === 'asap-xml' || text.trimStart().startsWith('<');
  try {
    return xml ? importAsapXml(text) : importGeoJson(text);
  } catch (err) {
    (err as Error).message = `${path}: ${(err as Error).message}`;
    throw err;
  }
}
