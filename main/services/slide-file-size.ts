// How many bytes a slide takes on disk, as the Slide panel shows it: a file's size, or for a folder (a
// DICOM series: one .dcm instance per level) the total of the DICOM files in it — not the folder entry.
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** True when `file` starts with the DICOM Part 10 preamble (128 bytes, then "DICM"), or is named .dcm. */
export async function isDicom(file: string): Promise<boolean> {
  if (/\.dcm$/i.test(file)) return true;
  let handle;
  try {
    handle = await open(file, 'r');
    const buf = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buf, 0, 4, 128);
    return bytesRead === 4 && buf.toString('latin1') === 'DICM';
  } catch {
    return false;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Bytes of the slide at `path`: the file's size, or the sum of the DICOM files directly in a folder. */
export async function slideFileSize(path: string): Promise<number> {
  const s = await stat(path);
  if (!s.isDirectory()) return s.size;
  let total = 0;
  for (const e of await readdir(path, { withFileTypes: true })) {
    if (!e.isFile() && !e.isSymbolicLink()) continue;
    const file = join(path, e.name);
    try {
      const f = await stat(file);
      if (f.isFile() && (await isDicom(file))) total += f.size;
    } catch {
      // A dangling link: not part of the slide.
    }
  }
  return total;
}
