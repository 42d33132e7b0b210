// Where user-chosen files (exports: heatmaps, reports, annotation GeoJSON) may be written: only at an
// absolute path, as a regular file. A relative path would land in the host process's working folder, not
// where the user thinks; writing "over" a device (/dev/full), a FIFO or a folder is never an export.
import { lstat, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileKind } from './regular-file.js';

/** The export target cannot be written; the message names the path and why (a 400 for the API). */
export class ExportTargetError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'ExportTargetError';
  }
}

const shown = (path: string): string => JSON.stringify(path.replaceAll('\0', '\uFFFD'));

/** What is at `path` now (following a symbolic link), or null when nothing is; other errors pass through. */
async function statOrNull(path: string, follow: boolean): Promise<Stats | null> {
  try {
    return await (follow ? stat(path) : lstat(path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ENOTDIR') throw new ExportTargetError(path, `${path} cannot be written: a part of its folder path is a file, not a folder`);
    throw err;
  }
}

/** Throws ExportTargetError unless what is at `path` (if anything) may be replaced by a regular file. */
export async function checkReplaceable(path: string): Promise<void> {
  const entry = await statOrNull(path, false);
  if (entry === null || entry.isFile()) return;
  // A symbolic link: what it points to must be a regular file too (a dangling link is replaced, harmlessly).
  const target = entry.isSymbolicLink() ? await statOrNull(path, true) : entry;
  if (target === null || target.isFile()) return;
  throw new ExportTargetError(path, `${path} is ${fileKind(target)}, not a regular file: an export only creates or replaces regular files`);
}

/**
 * Checks a path to export to: a string without NUL bytes, absolute, and nothing there but (at most) a
 * regular file. Returns the path unchanged.
 */
export async function checkExportTarget(path: string): Promise<string> {
  if (path.includes('\0')) throw new ExportTargetError(path, `The path ${shown(path)} holds a null byte (\\0, shown as \uFFFD): no file can have that name`);
  if (!isAbsolute(path)) {
    throw new ExportTargetError(path, `Give a full (absolute) path to export to, such as /home/me/heatmap.png: ${shown(path)} is relative`);
  }
  await checkReplaceable(path);
  return path;
}
