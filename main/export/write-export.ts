// Every export goes through here: atomic, never over an existing file unless asked, only at an absolute
// path and only as a regular file (never over a device, FIFO or folder).
import { extname } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';
import { checkExportTarget, checkReplaceable } from '../common/export-target.js';

export type ExportFormat = 'png' | 'tif' | 'geojson' | 'csv' | 'html';

export function exportFormatOf(path: string): ExportFormat {
  const ext = extname(path).toLowerCase().slice(1);
  const map: Record<string, ExportFormat> = { png: 'png', tif: 'tif', tiff: 'tif', geojson: 'geojson', json: 'geojson', csv: 'csv', html: 'html', htm: 'html' };
  const f = map[ext];
  if (!f) throw new Error(`cannot tell the export format from ${JSON.stringify(path)}: use .png, .tif, .geojson, .csv or .html`);
  return f;
}

/** Throws ExportTargetError (relative path, NUL byte, not a regular file there) before writing anything. */
export async function writeExport(path: string, data: string | Uint8Array, options: { overwrite?: boolean } = {}): Promise<void> {
  await checkExportTarget(path);
  await writeFileAtomic(path, data, { overwrite: options.overwrite === true, beforeReplace: checkReplaceable });
}
