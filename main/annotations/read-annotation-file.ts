// Reads an annotation file a user names (QuPath GeoJSON or ASAP XML), by extension, then content.
import { readFile } from 'node:fs/promises';
import { importAsapXml } from './asap-import.js';
import type { ImportedAnnotations } from './annotation-import-error.js';
import { importGeoJson } from './geojson-import.js';

export async function readAnnotationFile(path: string): Promise<ImportedAnnotations> {
  const text = await readFile(path, 'utf8');
  const xml = /\.xml$/i.test(path) || text.trimStart().startsWith('<');
  try {
    return xml ? importAsapXml(text) : importGeoJson(text);
  } catch (err) {
    (err as Error).message = `${path}: ${(err as Error).message}`;
    throw err;
  }
}
