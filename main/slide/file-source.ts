// Random-access reads from a slide file. Readers never load a whole file: they read what they need.
// Only regular files are opened: a named pipe would block the I/O thread pool on open, a device such as
// /dev/zero never ends.
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { SlideError } from './slide-errors.js';
import { fileKind, NotRegularFileError, openRegularFile } from '../common/regular-file.js';

export class FileSource {
  private constructor(
    readonly path: string,
    readonly size: number,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<FileSource> {
    const failed = (err: unknown): SlideError => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return new SlideError('not-found', `No such file: ${path}`);
      if (code === 'EISDIR') return new SlideError('unsupported-format', `${path} is a folder, not a slide file`);
      return new SlideError('io', `Cannot open ${path}: ${(err as Error).message}`);
    };
    const refuse = (s: Stats) =>
      s.isDirectory()
        ? new SlideError('unsupported-format', `${path} is a folder, not a slide file`)
        : new SlideError('unsupported-format', `${path} is not a regular file: it is ${fileKind(s)}, and Tessera opens only slide files (or DICOM folders)`);
    let opened: { handle: FileHandle; stats: Stats };
    try {
      opened = await openRegularFile(path);
    } catch (err) {
      throw err instanceof NotRegularFileError ? refuse(err.stats) : failed(err);
    }
    const { handle, stats: s } = opened;
    return new FileSource(path, s.size, handle);
  }

  /** Exactly `length` bytes at `offset`, or a `truncated` SlideError when the file ends first. */
  async read(offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new SlideError('corrupt', `Invalid read of ${length} bytes at offset ${offset} in ${this.path}`);
    }
    if (offset + length > this.size) {
      throw new SlideError(
        'truncated',
        `${this.path} is truncated or corrupt: data at bytes ${offset}–${offset + length} lies past its end (${this.size} bytes)`,
      );
    }
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) throw new SlideError('truncated', `${this.path} ended while reading at ${offset + done}`);
      done += bytesRead;
    }
    return buf;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
