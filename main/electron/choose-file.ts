// The desktop transport's file dialogs for the paths the contract takes (open a slide, import a model file
// or checkpoint folder, annotations or a probe, save an export): the renderer asks by kind over one IPC channel and gets a
// path or null. Which dialog, its title and filters are decided here, not by the renderer.
import { extname } from 'node:path';
import type { ChooseFileKind, ChooseFileOptions } from '../contracts/tessera-api.js';
import { isTrustedSender, type IpcMainLike } from './ipc.js';
import { slideFormatEntries } from '../slide/formats/index.js';

export const CHOOSE_FILE_CHANNEL = 'tessera:choose-file';

/** Every slide format's file extensions, from the format list (adding a format adds it here). Electron's
 * filters take the last dotted part only ("ome.tiff" → "tiff"). */
export const SLIDE_EXTENSIONS = [...new Set(slideFormatEntries.flatMap((e) => e.extensions.map((x) => x.split('.').pop()!)))];

interface Filter {
  name: string;
  extensions: string[];
}

/** What Electron's showOpenDialog / showSaveDialog get (the subset used). */
export interface FileDialogRequest {
  type: 'open' | 'save';
  /** Open: pick a folder rather than a file. */
  directory?: boolean;
  title: string;
  defaultPath?: string;
  filters: Filter[];
}

const ALL: Filter = { name: 'All files', extensions: ['*'] };
const OPEN: Record<Exclude<ChooseFileKind, 'save' | 'model-folder'>, { title: string; filter: Filter }> = {
  slide: { title: 'Open slide', filter: { name: 'Whole-slide images', extensions: SLIDE_EXTENSIONS } },
  model: {
    title: 'Import encoder model',
    filter: { name: 'ONNX models or timm checkpoints', extensions: ['onnx', 'safetensors', 'bin', 'pth', 'pt'] },
  },
  annotations: { title: 'Import annotations', filter: { name: 'QuPath GeoJSON or ASAP XML', extensions: ['geojson', 'json', 'xml'] } },
  probe: { title: 'Load probe', filter: { name: 'Tessera probes', extensions: ['json'] } },
};

/** The dialog for a request off the wire; throws on anything but a known kind and an optional string path. */
export function fileDialogFor(options: unknown): FileDialogRequest {
  const o = (options ?? {}) as Partial<ChooseFileOptions>;
  const defaultPath = typeof o.defaultPath === 'string' && o.defaultPath !== '' ? o.defaultPath : undefined;
  if (o.kind === 'save') {
    const ext = defaultPath ? extname(defaultPath).slice(1).toLowerCase() : '';
    return {
      type: 'save',
      title: 'Save as',
      ...(defaultPath ? { defaultPath } : {}),
      filters: ext ? [{ name: `${ext.toUpperCase()} files`, extensions: [ext] }, ALL] : [ALL],
    };
  }
  if (o.kind === 'model-folder')
    return { type: 'open', directory: true, title: 'Import a timm checkpoint folder', ...(defaultPath ? { defaultPath } : {}), filters: [] };
  const open = typeof o.kind === 'string' ? OPEN[o.kind as keyof typeof OPEN] : undefined;
  if (!open) throw new Error(`Unknown file kind ${JSON.stringify(o.kind)}`);
  return { type: 'open', title: open.title, ...(defaultPath ? { defaultPath } : {}), filters: [open.filter, ALL] };
}

/** Registers the channel; `show` runs the native dialog and resolves to the path, or null when cancelled. */
export function registerChooseFileIpc(ipcMain: IpcMainLike, show: (request: FileDialogRequest) => Promise<string | null>): void {
  ipcMain.handle(CHOOSE_FILE_CHANNEL, async (event, options) => {
    if (!isTrustedSender(event)) return null;
    return show(fileDialogFor(options));
  });
}
