// The ZIP container of a torch.save checkpoint (torch ≥ 1.6): `<prefix>/data.pkl` (the pickled object),
// `<prefix>/data/<key>` (one raw little-endian storage per key), `<prefix>/version`, maybe
// `<prefix>/byteorder`. yauzl lists the central directory (zip64 included); the bytes themselves are read
// with our own file handle at offsets taken from each entry's local header, so one tensor can be read
// without touching the rest of a multi-gigabyte archive. Storages must be stored (torch never compresses
// them); each one's CRC-32 is checked the first time it is read. Files that are not ZIPs are told apart:
// the legacy (pre-1.6) torch format gets its own message.
import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { NotRegularFileError, openRegularFile } from '../../common/regular-file.js';
import { crc32, inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import { CheckpointError } from './checkpoint-tensors.js';

/** One file in the archive, as its central directory describes it. */
export interface TorchZipEntry {
  /** Full name inside the archive, e.g. 'archive/data/0'. */
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly compressionMethod: number;
  readonly compressedSize: number;
  /** Uncompressed size in bytes. */
  readonly size: number;
  readonly crc32: number;
  readonly localHeaderOffset: number;
}

const ZIP_LOCAL_MAGIC = 0x04034b50;
const ZIP_EMPTY_MAGIC = 0x06054b50;
/** Legacy torch.save: pickle protocol 2 (`\x80\x02`), LONG1 of 10 bytes (`\x8a\x0a`), the magic 0x1950a86a20f9469cfc6c. */
const LEGACY_MAGIC = Uint8Array.from([
  0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
]);
/** The largest data.pkl / byteorder record read whole (a state dict's pickle is ~200 bytes a tensor). */
const MAX_RECORD = 512 * 1024 * 1024;
/** Reads are split into pieces of at most this many bytes (fs reads are limited to 2 GiB). */
const READ_CHUNK = 64 * 1024 * 1024;

export class TorchZip {
  private readonly dataStarts = new Map<string, Promise<number>>();
  private readonly verified = new Set<string>();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly fileSize: number,
    /** The folder every record lives in, without the slash ('pytorch_model', 'archive'). */
    readonly prefix: string,
    readonly entries: ReadonlyMap<string, TorchZipEntry>,
  ) {}

  /** Opens `path` and lists it. Throws CheckpointError: not-found, unsupported-format, truncated, corrupt. */
  static async open(path: string): Promise<TorchZip> {
    let handle: FileHandle;
    let stats: Stats;
    try {
      ({ handle, stats } = await openRegularFile(path));
    } catch (err) {
      if (err instanceof NotRegularFileError) throw new CheckpointError('unsupported-format', `${err.message}, not a checkpoint file.`);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new CheckpointError('not-found', `${path} does not exist.`);
      throw new CheckpointError('not-found', `${path} cannot be opened: ${(err as Error).message}`);
    }
    try {
      const head = await readAt(handle, 0, Math.min(LEGACY_MAGIC.length, stats.size));
      checkZipMagic(path, head, stats.size);
      const entries = await listEntries(path);
      const prefix = findPrefix(path, entries);
      return new TorchZip(path, handle, stats.size, prefix, entries);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** The entry `<prefix>/<name>`, e.g. entry('data.pkl'), entry('data/0'). */
  entry(name: string): TorchZipEntry | undefined {
    return this.entries.get(`${this.prefix}/${name}`);
  }

  /** A whole small record (data.pkl, byteorder), inflated if someone re-zipped the archive, CRC-checked. */
  async readRecord(entry: TorchZipEntry): Promise<Uint8Array> {
    if (entry.size > MAX_RECORD)
      throw new CheckpointError(
        'unsupported-format',
        `${this.path}: ${entry.name} is ${entry.size} bytes; the pickle of a torch.save state dict is a few ` +
          `megabytes, so this is not one Tessera can read.`,
      );
    const raw = await this.readRaw(entry, 0, entry.compressedSize);
    let data: Uint8Array;
    if (entry.compressionMethod === 0) data = raw;
    else if (entry.compressionMethod === 8) {
      try {
        data = entry.size === 0 ? new Uint8Array(0) : inflateRawSync(raw, { maxOutputLength: entry.size });
      } catch (err) {
        throw new CheckpointError(
          'corrupt',
          `${this.path}: ${entry.name} cannot be inflated (${(err as Error).message}).`,
        );
      }
    } else throw this.compressed(entry);
    if (data.length !== entry.size || crc32(data) !== entry.crc32)
      throw new CheckpointError(
        'corrupt',
        `${this.path} is damaged: ${entry.name} fails its CRC-32 check. Download the file again.`,
      );
    this.verified.add(entry.name);
    return data;
  }

  /**
   * Bytes [start, start + length) of a stored (uncompressed) storage record. The first read of each record
   * checks its CRC-32 (over the whole record, streamed when only part of it is wanted); `what` names the
   * tensor in the error ("tensor 'blocks.0.attn.qkv.weight'").
   */
  async readStorage(entry: TorchZipEntry, start: number, length: number, what: string): Promise<Uint8Array> {
    if (entry.compressionMethod !== 0) throw this.compressed(entry);
    if (start < 0 || length < 0 || start + length > entry.size)
      throw new CheckpointError('corrupt', `${this.path}: ${what} lies outside its storage record ${entry.name}.`);
    const data = await this.readRaw(entry, start, length);
    if (!this.verified.has(entry.name)) {
      const whole = start === 0 && length === entry.size;
      const actual = whole ? crc32(data) : await this.streamCrc(entry);
      if (actual !== entry.crc32)
        throw new CheckpointError(
          'corrupt',
          `${this.path} is damaged: ${what} fails its checksum (record ${entry.name}: CRC-32 ` +
            `${hex(actual)}, the archive says ${hex(entry.crc32)}). Download the file again.`,
        );
      this.verified.add(entry.name);
    }
    return data;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }

  private compressed(entry: TorchZipEntry): CheckpointError {
    return new CheckpointError(
      'unsupported-format',
      `${this.path}: ${entry.name} is compressed (ZIP method ${entry.compressionMethod}), but torch.save ` +
        `stores tensor data uncompressed, so the archive was probably re-zipped. Use the original file, or ` +
        `re-save it with torch.save.`,
    );
  }

  private async streamCrc(entry: TorchZipEntry): Promise<number> {
    let crc = 0;
    for (let at = 0; at < entry.size; at += READ_CHUNK)
      crc = crc32(await this.readRaw(entry, at, Math.min(READ_CHUNK, entry.size - at)), crc);
    return crc;
  }

  /** Raw bytes of an entry's data, `start` relative to where the data begins. */
  private async readRaw(entry: TorchZipEntry, start: number, length: number): Promise<Uint8Array> {
    if (this.closed) throw new Error(`${this.path} has been closed.`);
    const dataStart = await this.dataStart(entry);
    const out = await readAt(this.handle, dataStart + start, length);
    if (out.length < length) throw truncatedError(this.path, `${entry.name} runs past the end of the file`);
    return out;
  }

  /** Where an entry's data begins: its local header is 30 bytes + file name + extra field (lengths differ
   * from the central directory's: torch pads the local extra field to align data to 64 bytes). */
  private dataStart(entry: TorchZipEntry): Promise<number> {
    let start = this.dataStarts.get(entry.name);
    if (!start) {
      start = (async () => {
        const header = await readAt(this.handle, entry.localHeaderOffset, 30);
        if (header.length < 30)
          throw truncatedError(this.path, `the header of ${entry.name} is past the end of the file`);
        const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
        if (view.getUint32(0, true) !== ZIP_LOCAL_MAGIC)
          throw new CheckpointError(
            'corrupt',
            `${this.path} is damaged: the archive's directory points at no file header for ${entry.name}. ` +
              `Download the file again.`,
          );
        const dataStart = entry.localHeaderOffset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
        if (dataStart + entry.compressedSize > this.fileSize)
          throw truncatedError(this.path, `${entry.name} runs past the end of the file`);
        return dataStart;
      })();
      this.dataStarts.set(entry.name, start);
      start.catch(() => this.dataStarts.delete(entry.name));
    }
    return start;
  }
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

function truncatedError(path: string, detail: string): CheckpointError {
  return new CheckpointError(
    'truncated',
    `${path} is truncated (${detail}): the download or copy did not finish. Download the file again.`,
  );
}

/** Reads up to `length` bytes at `position`; shorter only at end of file. */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(out, done, Math.min(READ_CHUNK, length - done), position + done);
    if (bytesRead === 0) return out.subarray(0, done);
    done += bytesRead;
  }
  return out;
}

/** Throws unless the file starts like a ZIP; says so when it is the legacy torch format. */
function checkZipMagic(path: string, head: Uint8Array, size: number): void {
  if (size === 0) throw truncatedError(path, 'it is empty');
  const magic = head.length >= 4 ? new DataView(head.buffer, head.byteOffset).getUint32(0, true) : 0;
  if (magic === ZIP_LOCAL_MAGIC || magic === ZIP_EMPTY_MAGIC) return;
  if (head.length === LEGACY_MAGIC.length && head.every((b, i) => b === LEGACY_MAGIC[i]))
    throw new CheckpointError(
      'unsupported-format',
      `${path} uses the legacy PyTorch format (torch.save before version 1.6, or _use_new_zipfile_serialization=False), ` +
        `which can only be read by running Python's pickle. Re-save it with a current torch ` +
        `(torch.save(torch.load(path, weights_only=True), new_path)), or use the model's model.safetensors.`,
    );
  throw new CheckpointError('unsupported-format', `${path} is not a PyTorch checkpoint (zip) file.`);
}

/** The central directory, through yauzl (handles zip64). */
function listEntries(path: string): Promise<Map<string, TorchZipEntry>> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      const msg = err.message;
      if (/signature not found|unexpected EOF|not enough bytes|Invalid comment length/i.test(msg))
        reject(truncatedError(path, `its ZIP directory is missing or cut short: ${msg}`));
      else
        reject(new CheckpointError('corrupt', `${path} is a damaged ZIP archive (${msg}). Download the file again.`));
    };
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (err, zip) => {
      if (err) return fail(err);
      const entries = new Map<string, TorchZipEntry>();
      let settled = false;
      const finish = (error?: Error): void => {
        if (settled) return;
        settled = true;
        zip.close();
        if (error) fail(error);
        else resolve(entries);
      };
      zip.on('error', finish);
      zip.on('end', () => finish());
      zip.on('entry', (e: yauzl.Entry) => {
        if (!entries.has(e.fileName))
          entries.set(e.fileName, {
            name: e.fileName,
            compressionMethod: e.compressionMethod,
            compressedSize: e.compressedSize,
            size: e.uncompressedSize,
            crc32: e.crc32,
            localHeaderOffset: e.relativeOffsetOfLocalHeader,
          });
        zip.readEntry();
      });
      zip.readEntry();
    });
  });
}

/** torch's rule: the folder of the first entry; else the one folder holding a data.pkl. */
function findPrefix(path: string, entries: ReadonlyMap<string, TorchZipEntry>): string {
  const names = [...entries.keys()];
  // TorchScript archives also hold a data.pkl, but theirs pickles __torch__ classes; say what the file is.
  if (names.some((n) => /^[^/]+\/(constants\.pkl|code\/)/.test(n)))
    throw new CheckpointError(
      'unsupported-format',
      `${path} is a TorchScript archive (torch.jit.save), not a torch.save state dict. Save the weights with ` +
        `torch.save(model.state_dict(), path), or use the model's model.safetensors.`,
    );
  const firstFolder = names[0]?.includes('/') ? names[0].slice(0, names[0].indexOf('/')) : undefined;
  if (firstFolder !== undefined && entries.has(`${firstFolder}/data.pkl`)) return firstFolder;
  const withPickle = names.filter((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (withPickle.length === 1) return withPickle[0].slice(0, -'/data.pkl'.length);
  throw new CheckpointError(
    'unsupported-format',
    withPickle.length > 1
      ? `${path} holds ${withPickle.length} pickled objects (${withPickle.join(', ')}); a torch.save checkpoint holds one.`
      : `${path} is a ZIP archive but not a PyTorch checkpoint: it has no <folder>/data.pkl.`,
  );
}
