// Crash-safe file writes: a reader sees the old file or the new one, never a torn one.
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export class FileExistsError extends Error {
  constructor(readonly path: string) {
    super(`${path} already exists (pass overwrite / --force to replace it)`);
    this.name = 'FileExistsError';
  }
}

/** Why writing a file failed, in words (by errno code). */
const writeReasons: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'an input/output error',
  ENAMETOOLONG: 'the name is too long',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a folder',
};

/** A write that failed for a reason of the file system; names the file the caller asked for (never the temp
 * file) and keeps the errno `code`, so callers can still act on ENOSPC and the like. */
export class FileWriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`Could not write ${path}: ${writeReasons[code] ?? 'the system refused'} (${code})`, options);
    this.name = 'FileWriteError';
  }
}

export interface AtomicWriteOptions {
  /** False: fail with FileExistsError when `path` exists. Default true. */
  overwrite?: boolean;
  /** How the temp file is opened (tests inject failing handles here); default fs/promises `open`. */
  openFile?: typeof open;
  /**
   * Checked again right before the rename that replaces `path` (exports pass `checkReplaceable`, so a
   * device or FIFO put there meanwhile is not replaced); throwing removes the temp file, `path` stays.
   */
  beforeReplace?: (path: string) => Promise<void>;
}

/**
 * Writes `data` to a temp file beside `path`, fsyncs it, then renames it over `path` and fsyncs the
 * directory. With `overwrite: false` the final step is link(2), which fails atomically when `path` exists.
 * When anything fails the temp file is removed and `path` is left as it was.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  try {
    await writeAtomically(path, data, options);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException)?.code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && !(err instanceof FileExistsError)) throw new FileWriteError(path, code, { cause: err });
    throw err;
  }
}

async function writeAtomically(path: string, data: string | Uint8Array, options: AtomicWriteOptions): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await (options.openFile ?? open)(temp, 'w', 0o644);
  try {
    // Close even when the write or fsync failed; the first failure is the one reported.
    let failure: unknown = null;
    try {
      await handle.writeFile(data);
      await handle.sync();
    } catch (err) {
      failure = err;
    }
    try {
      await handle.close();
    } catch (err) {
      failure ??= err;
    }
    if (failure !== null) throw failure;
    if (options.beforeReplace) await options.beforeReplace(path);
    if (options.overwrite === false) {
      try {
        await link(temp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(path);
        throw err;
      }
      await unlink(temp);
    } else {
      await rename(temp, path);
    }
  } catch (err) {
    // Every failure path (disk full mid-write, fsync, close, rename) removes the temp file.
    await unlink(temp).catch(() => {});
    throw err;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
  }
}
