// The heatmap export formats, listed once: the contract's `AnalysisExportFormat`, the service's format and
// extension checks, the CLI's choice by --out extension and the writers (main/export/export-writers.ts,
// which must have one per id) all read this list. Pure: the renderer's export dialog may read it too.

export interface ExportFormatEntry {
  /** The API's `format` parameter. */
  readonly id: string;
  /** Shown to people (the export dialog, help texts). */
  readonly label: string;
  /** File extensions, lower case without the dot; the first is the one written by default. */
  readonly extensions: readonly string[];
  readonly mediaType: string;
  /** Other spellings accepted as `format` on input (older callers). */
  readonly aliases?: readonly string[];
}

export const exportFormats = [
  { id: 'png', label: 'Heatmap image (PNG)', extensions: ['png'], mediaType: 'image/png' },
  // The contract always said 'tiff', the CLI and the writers 'tif': both are accepted, 'tiff' is the id.
  { id: 'tiff', label: 'Heatmap, pyramidal TIFF', extensions: ['tif', 'tiff'], mediaType: 'image/tiff', aliases: ['tif'] },
  { id: 'geojson', label: 'Regions above threshold (GeoJSON)', extensions: ['geojson', 'json'], mediaType: 'application/geo+json' },
  { id: 'csv', label: 'Per-patch probabilities (CSV)', extensions: ['csv'], mediaType: 'text/csv' },
  { id: 'html', label: 'Probe report (HTML)', extensions: ['html', 'htm'], mediaType: 'text/html' },
] as const satisfies readonly ExportFormatEntry[];

export type ExportFormatId = (typeof exportFormats)[number]['id'];

export const exportFormatIds: readonly ExportFormatId[] = exportFormats.map((f) => f.id);

/** The format named `name` (its id or an alias), or undefined. */
export function exportFormatNamed(name: unknown): (typeof exportFormats)[number] | undefined {
  if (typeof name !== 'string') return undefined;
  return exportFormats.find((f) => f.id === name || (f as ExportFormatEntry).aliases?.includes(name));
}

/** The format a file name's extension picks (case-insensitive), or undefined. */
export function exportFormatOfName(fileName: string): (typeof exportFormats)[number] | undefined {
  const dot = fileName.lastIndexOf('.');
  const slash = Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\'));
  if (dot <= slash + 1) return undefined; // no extension, or a dot file such as ".png"
  const ext = fileName.slice(dot + 1).toLowerCase();
  return exportFormats.find((f) => (f.extensions as readonly string[]).includes(ext));
}

/** ".png, .tif, .geojson, .csv or .html": the default extension of each format, for messages. */
export function exportExtensionList(): string {
  const exts = exportFormats.map((f) => `.${f.extensions[0]}`);
  return `${exts.slice(0, -1).join(', ')} or ${exts[exts.length - 1]}`;
}

/** Whether `fileName`'s extension is one of format `id`'s (a .tiff file for 'tiff', a .json one for 'geojson'). */
export function exportFormatMatchesName(id: ExportFormatId, fileName: string): boolean {
  return exportFormatOfName(fileName)?.id === id;
}

/**
 * Why `fileName` cannot hold an export of format `id`, in words, or null when it can: an extension of no
 * format, or one of another format. (The service's check of an export request's `format` against its `path`.)
 */
export function exportNameProblem(id: ExportFormatId, fileName: string): string | null {
  const byName = exportFormatOfName(fileName);
  if (!byName) return `cannot tell the export format from ${JSON.stringify(fileName)}: use ${exportExtensionList()}`;
  if (byName.id === id) return null;
  const wanted = exportFormats.find((f) => f.id === id)!;
  return `${fileName} does not end in .${wanted.extensions[0]} (the ${id.toUpperCase()} format)`;
}
