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
    const safe = withoutFileContents(err);
    safe.message = `${path}: ${safe.message}`;
    throw safe;
  }
}

/**
 * A document-level parse error without the parser's own message: V8's JSON.parse quotes the first bytes
 * of its input (`Unexpected token 'r', "root:*:1900"... is not valid JSON`) and the XML parser the
 * offending character, so pointing the import at /etc/shadow would echo it. Only the position is kept.
 * Likewise a foreign JSON file's `type` or first object's `id` is not repeated.
 */
function withoutFileContents(err: unknown): Error {
  if (!(err instanceof AnnotationImportError)) return err as Error;
  // Any JSON array is a "feature list": a foreign file's first object must not have its id echoed.
  if (err.format === 'geojson' && err.problem === 'is not a GeoJSON Feature') {
    return new AnnotationImportError('geojson', err.location.replace(/ \(id .*\)$/s, ''), err.problem);
  }
  if (err.location !== 'document') return err;
  if (err.format === 'geojson' && err.problem.startsWith('expected a FeatureCollection')) {
    return new AnnotationImportError('geojson', 'document', 'expected a FeatureCollection, Feature or array of Features');
  }
  if (err.format === 'geojson' && err.problem.startsWith('not JSON')) {
    const at = /at position (\d+)/.exec(err.problem)?.[1];
    const end = /Unexpected end of JSON input/.test(err.problem);
    return new AnnotationImportError('geojson', 'document', `not JSON (${end ? 'it ends too soon' : at ? `a syntax error at character ${at}` : 'a syntax error'})`);
  }
  if (err.format === 'asap-xml' && err.problem.startsWith('not well-formed XML')) {
    const at = /:(\d+):(\d+)\)?$/.exec(err.problem);
    return new AnnotationImportError('asap-xml', 'document', `not well-formed XML${at ? ` (line ${at[1]}, column ${at[2]})` : ''}`);
  }
  return err;
}
