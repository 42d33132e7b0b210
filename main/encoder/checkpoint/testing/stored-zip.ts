// A tiny ZIP writer for tests: stored (or deflated) entries, optionally torch-style 64-byte data alignment
// through a padding extra field in the local headers only, optionally zip64 records throughout — enough to
// build checkpoint archives the way torch.save lays them out, and to break them on purpose.
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipFileInput {
  name: string;
  data: Uint8Array;
  /** Deflate this entry (torch never does; for testing the refusal). */
  deflate?: boolean;
}

export interface ZipOptions {
  /** Pad local headers so each entry's data starts at a multiple of this (torch uses 64). */
  align?: number;
  /** Write zip64 extra fields, a zip64 end record and locator, with 0xffffffff in the classic fields. */
  zip64?: boolean;
}

class Bytes {
  private readonly parts: Uint8Array[] = [];
  length = 0;
  push(part: Uint8Array): void {
    this.parts.push(part);
    this.length += part.length;
  }
  le(value: number | bigint, size: 2 | 4 | 8): void {
    const b = new Uint8Array(size);
    const v = new DataView(b.buffer);
    if (size === 2) v.setUint16(0, Number(value), true);
    else if (size === 4) v.setUint32(0, Number(value), true);
    else v.setBigUint64(0, BigInt(value), true);
    this.push(b);
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export function buildZip(files: readonly ZipFileInput[], options: ZipOptions = {}): Uint8Array {
  const out = new Bytes();
  const central = new Bytes();
  const z64 = options.zip64 ?? false;
  const M32 = 0xffffffff;
  for (const file of files) {
    const name = new TextEncoder().encode(file.name);
    const body = file.deflate ? new Uint8Array(deflateRawSync(file.data)) : file.data;
    const crc = crc32(file.data);
    const offset = out.length;
    const method = file.deflate ? 8 : 0;
    const version = z64 ? 45 : 20;

    // Local header extra: zip64 sizes, then torch-style padding (id 'FB').
    const localExtra = new Bytes();
    if (z64) {
      localExtra.le(0x0001, 2);
      localExtra.le(16, 2);
      localExtra.le(file.data.length, 8);
      localExtra.le(body.length, 8);
    }
    if (options.align) {
      const before = offset + 30 + name.length + localExtra.length + 4;
      const pad = (options.align - (before % options.align)) % options.align;
      localExtra.le(0x4246, 2);
      localExtra.le(pad, 2);
      localExtra.push(new Uint8Array(pad));
    }
    out.le(0x04034b50, 4);
    out.le(version, 2);
    out.le(0x0800, 2); // UTF-8 names
    out.le(method, 2);
    out.le(0, 2); // time
    out.le(0x21, 2); // date 1980-01-01
    out.le(crc, 4);
    out.le(z64 ? M32 : body.length, 4);
    out.le(z64 ? M32 : file.data.length, 4);
    out.le(name.length, 2);
    out.le(localExtra.length, 2);
    out.push(name);
    out.push(localExtra.concat());
    out.push(body);

    const centralExtra = new Bytes();
    if (z64) {
      centralExtra.le(0x0001, 2);
      centralExtra.le(24, 2);
      centralExtra.le(file.data.length, 8);
      centralExtra.le(body.length, 8);
      centralExtra.le(offset, 8);
    }
    central.le(0x02014b50, 4);
    central.le(version, 2); // made by
    central.le(version, 2); // needed
    central.le(0x0800, 2);
    central.le(method, 2);
    central.le(0, 2);
    central.le(0x21, 2);
    central.le(crc, 4);
    central.le(z64 ? M32 : body.length, 4);
    central.le(z64 ? M32 : file.data.length, 4);
    central.le(name.length, 2);
    central.le(centralExtra.length, 2);
    central.le(0, 2); // comment
    central.le(0, 2); // disk
    central.le(0, 2); // internal attributes
    central.le(0, 4); // external attributes
    central.le(z64 ? M32 : offset, 4);
    central.push(name);
    central.push(centralExtra.concat());
  }
  const centralOffset = out.length;
  const centralSize = central.length;
  out.push(central.concat());
  if (z64) {
    const recordOffset = out.length;
    out.le(0x06064b50, 4);
    out.le(44, 8); // size of the rest of this record
    out.le(45, 2);
    out.le(45, 2);
    out.le(0, 4);
    out.le(0, 4);
    out.le(files.length, 8);
    out.le(files.length, 8);
    out.le(centralSize, 8);
    out.le(centralOffset, 8);
    out.le(0x07064b50, 4); // locator
    out.le(0, 4);
    out.le(recordOffset, 8);
    out.le(1, 4);
  }
  out.le(0x06054b50, 4);
  out.le(0, 2);
  out.le(0, 2);
  out.le(z64 ? 0xffff : files.length, 2);
  out.le(z64 ? 0xffff : files.length, 2);
  out.le(z64 ? M32 : centralSize, 4);
  out.le(z64 ? M32 : centralOffset, 4);
  out.le(0, 2);
  return out.concat();
}
