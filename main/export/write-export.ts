// Every export goes through here: atomic, and never over an existing file unless asked.
import { extname } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';

export type ExportFormat = 'png' | 'tif' | 'geojson' | 'csv' | 'html';

export function exportFormatOf(path: string): ExportFormat {
  const ext = extname(path).toLowerCase().slice(1);
  const map: Record<string, ExportFormat> = { png: 'png', tif: 'tif', tiff: 'tif', geojson: 'geojson', json: 'geojson', csv: 'csv', html: 'html', htm: 'html' };
  const f = map[ext];
  if (!f) throw new Error(`cannot tell the export format from ${JSON.stringify(path)}: use .png, .tif, .geojson, .csv or .html`);
  return f;
}

export async function writeExport(path: string, data: string | Uint8Array, options: { overwrite?: boolean } = {}): Promise<void> {
  await writeFileAtomic(path, data, { overwrite: options.overwrite === true });
}
