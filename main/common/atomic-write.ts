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
