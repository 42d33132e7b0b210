// A path the user picks for the services: the native dialog in the desktop app; in the browser host there
// is none (the host's files are not the browser's), so callers show a path field instead.
import type { ChooseFileKind } from '../../../main/contracts/tessera-api';
import { client } from './api';

/** True when a native dialog can pick host paths (the desktop app). */
export const hasFileDialog = client.desktop !== null;

/** The chosen path, or null when cancelled or when there is no dialog (browser host). */
export async function chooseFile(kind: ChooseFileKind, defaultPath?: string): Promise<string | null> {
  if (!client.desktop) return null;
  return client.desktop.chooseFile({ kind, ...(defaultPath ? { defaultPath } : {}) });
}

/** `<folder of path>/<name>`, keeping the path's separator style. */
export function besidePath(path: string, name: string): string {
  return path.slice(0, Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1) + name;
}
