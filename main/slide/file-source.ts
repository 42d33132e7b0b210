// Random-access reads from a slide file. Readers never load a whole file: they read what they need.
// Only regular files are opened: a named pipe would block the I/O thread pool on open, a device such as
// /dev/zero never ends.
import type { Stats } from 'node:fs';
import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { SlideError } from './slide-errors.js';
import { fileKind, NotRegularFileError, openRegularFile } from '../common/regular-file.js';

/** Reads up to this size may be made synchronously (tiles, strips, headers; never a whole image). */
const SYNC_READ_MAX_BYTES = 1 << 20;

/**
 * Whether a file's small reads are made synchronously. A read through the thread pool costs ~35 µs of
 * CPU in hand-offs (bench/tiles.bench.ts: a fifth of a random 254/1 tile's CPU), where a read the OS
 * answers from its page cache takes ~5 µs inline. So reads go inline while the file answers like that:
 * after 16 thread-pool reads in a row that each came back within 0.2 ms, and until one inline read takes
 * over 2 ms (a cold disk, a network share), which puts the file back on the thread pool for 30 s. The
 * event loop is held up by at most that one slow read.
 */
export class ReadPacing {
  private fastAsync = 0;
  private inline = false;
  private asyncUntil = 0;

  sync(): boolean {
    return this.inline;
  }

  /** Reads made inline so far (tests and benches). */
  inlineReads = 0;

  asyncRead(ms: number): void {
    if (ms > FAST_ASYNC_MS) {
      this.fastAsync = 0;
      return;
    }
    if (++this.fastAsync >= FAST_READS_TO_INLINE && performance.now() >= this.asyncUntil) this.inline = true;
  }

  syncRead(ms: number): void {
    if (ms <= SLOW_INLINE_MS) return;
    this.inline = false;
    this.fastAsync = 0;
    this.asyncUntil = performance.now() + BACK_OFF_MS;
  }
}

const FAST_ASYNC_MS = 0.2;
const FAST_READS_TO_INLINE = 16;
const SLOW_INLINE_MS = 2;
const BACK_OFF_MS = 30_000;

export class FileSource {
  readonly pacing = new ReadPacing();

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

  /**
   * Exactly `length` bytes at `offset`, or a `truncated` SlideError when the file ends first. With
   * `headroom`, the buffer has that many bytes (contents undefined) before them, for the caller to fill.
   */
  async read(offset: number, length: number, headroom = 0): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new SlideError('corrupt', `Invalid read of ${length} bytes at offset ${offset} in ${this.path}`);
    }
    if (offset + length > this.size) {
      throw new SlideError(
        'truncated',
        `${this.path} is truncated or corrupt: data at bytes ${offset}–${offset + length} lies past its end (${this.size} bytes)`,
      );
    }
    const whole = Buffer.allocUnsafe(headroom + length);
    const buf = headroom ? whole.subarray(headroom) : whole;
    if (length <= SYNC_READ_MAX_BYTES && this.pacing.sync()) {
      const t0 = performance.now();
      this.readSyncInto(buf, offset);
      this.pacing.inlineReads++;
      this.pacing.syncRead(performance.now() - t0);
      return whole;
    }
    const t0 = performance.now();
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(buf, done, length - done, offset + done);
      if (bytesRead === 0) throw new SlideError('truncated', `${this.path} ended while reading at ${offset + done}`);
      done += bytesRead;
    }
    if (length <= SYNC_READ_MAX_BYTES) this.pacing.asyncRead(performance.now() - t0);
    return whole;
  }

  private readSyncInto(buf: Buffer, offset: number): void {
    let done = 0;
    while (done < buf.length) {
      const n = readSync(this.handle.fd, buf, done, buf.length - done, offset + done);
      if (n === 0) throw new SlideError('truncated', `${this.path} ended while reading at ${offset + done}`);
      done += n;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}
