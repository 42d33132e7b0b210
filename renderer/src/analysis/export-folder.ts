// Where exports are proposed: the folder the user last exported to (remembered in this browser profile),
// else the per-user exports folder the services report (`<Tessera data folder>/exports`).
import { client } from '../lib/api';

const LAST_FOLDER_KEY = 'tessera.exportFolder';
let servicesFolder: Promise<string | null> | null = null;

/** The folder of `path` with its trailing separator, keeping the path's separator style. */
export function folderOf(path: string): string {
  return path.slice(0, Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/** `folder` + `name`, adding a separator when the folder has none at its end. */
export function inFolder(folder: string, name: string): string {
  if (folder === '' || /[\\/]$/.test(folder)) return folder + name;
  return `${folder}${folder.includes('\\') && !folder.includes('/') ? '\\' : '/'}${name}`;
}

/** The folder to propose: the last one exported to, else the services' exports folder, else null. */
export async function exportFolder(): Promise<string | null> {
  try {
    const last = globalThis.localStorage?.getItem(LAST_FOLDER_KEY);
    if (last) return last;
  } catch {
    // Storage unavailable: fall back to the services' folder.
  }
  servicesFolder ??= client.api.getAppInfo().then(
    (info) => info.exportsFolder ?? null,
    () => null,
  );
  return servicesFolder;
}

/** Remembers the folder of a successful export for the next one. */
export function rememberExport(path: string): void {
  const folder = folderOf(path);
  if (!folder) return;
  try {
    globalThis.localStorage?.setItem(LAST_FOLDER_KEY, folder);
  } catch {
    // Not remembered: the next export proposes the default folder again.
  }
}
