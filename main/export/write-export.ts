// Every export goes through here: atomic, never over an existing file unless asked, only at an absolute
// path and only as a regular file (never over a device, FIFO or folder). Which format a path asks for is
// read from the one list of formats (main/common/export-formats.ts).
import { writeFileAtomic } from '../common/atomic-write.js';
import { checkExportTarget, checkReplaceable } from '../common/export-target.js';
import { exportExtensionList, exportFormatOfName, exportFormats } from '../common/export-formats.js';

export type ExportFormatEntry = (typeof exportFormats)[number];

/**
 * A format's short name, its default extension ('tif' for the format whose id is 'tiff'): what
 * `tessera heatmap` prints ("wrote tif out.tif") and what older callers compare. Prefer the entry's `id`.
 */
export type ExportFormat = ExportFormatEntry['extensions'][0];

/** The format a path's extension picks; throws (a plain Error, as before) naming the extensions known. */
export function exportFormatFor(path: string): ExportFormatEntry {
  const f = exportFormatOfName(path);
  if (!f) throw new Error(`cannot tell the export format from ${JSON.stringify(path)}: use ${exportExtensionList()}`);
  return f;
}

/** The short name of the format a path's extension picks (see ExportFormat). */
export function exportFormatOf(path: string): ExportFormat {
  return exportFormatFor(path).extensions[0];
}

/** Throws ExportTargetError (relative path, NUL byte, not a regular file there) before writing anything. */
export async function writeExport(path: string, data: string | Uint8Array, options: { overwrite?: boolean } = {}): Promise<void> {
  await checkExportTarget(path);
  await writeFileAtomic(path, data, { overwrite: options.overwrite === true, beforeReplace: checkReplaceable });
}
