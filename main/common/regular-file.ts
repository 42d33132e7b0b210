// Opening files a user names (slides, annotation files, checkpoints) safely: only regular files. A named pipe
// would block Node's I/O thread pool on open(2), a device such as /dev/zero never ends. stat first (which
// does not block), then open without blocking and check the opened file again, in case the path was swapped.
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';

/** What a non-regular file is, for messages ("a named pipe (FIFO)"). */
export function fileKind(s: Stats): string {
  if (s.isDirectory()) return 'a folder';
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'a special file';
}

/** Thrown when the path exists but is not a regular file; `stats` says what it is. */
export class NotRegularFileError extends Error {
  constructor(
    readonly path: string,
    readonly stats: Stats,
  ) {
    super(`${path} is not a regular file: it is ${fileKind(stats)}`);
    this.name = 'NotRegularFileError';
  }
}

/** Opens `path` for reading if it is a regular file; fs errors (ENOENT, EACCES…) pass through unchanged. */
export async function openRegularFile(path: string): Promise<{ handle: FileHandle; stats: Stats }> {
  const before = await stat(path);
  if (!before.isFile()) throw new NotRegularFileError(path, before);
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw new NotRegularFileError(path, stats);
  }
  return { handle, stats };
}
