// The other files of a DICOM slide's folder: every WSI instance of the series, foreign files ignored, a
// damaged DICOM file refused by name (the level it held would otherwise silently drop out).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isDicomFile } from './dicom-dataset.js';
import { FileSource } from '../file-source.js';
import { SlideError } from '../slide-errors.js';
import { readInstance, type Instance } from './wsi-instance.js';
import { WSI_SOP_CLASS } from './wsi-tags.js';

export async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    throw new SlideError('io', `Cannot list ${dir}: ${(err as Error).message}`);
  }
  return entries
    .filter((e) => e.isFile() || e.isSymbolicLink())
    .map((e) => join(dir, e.name))
    .sort();
}

/** A file of the slide's folder that Tessera cannot read: it may be one of the slide's levels, so opening
 * without it could silently change the slide's size and scale. */
function damagedSibling(file: string, err: unknown): SlideError {
  const code = err instanceof SlideError && (err.code === 'truncated' || err.code === 'io') ? err.code : 'corrupt';
  const why = String((err as Error)?.message ?? err).replace(`${file}: `, '').replace(`${file} `, '').replace(/^is /, '');
  return new SlideError(
    code === 'io' ? 'corrupt' : code,
    `${file} is a damaged DICOM file in the slide's folder (${why}); it may hold one of the slide's levels, so the slide is not opened without it: restore the file, or move it out of the folder`,
  );
}

/**
 * Every WSI instance in `dir` (of series `seriesUid` when given), skipping `exclude`. Foreign files (not
 * DICOM, other SOP classes, other series) are ignored; a damaged DICOM file (or a `.dcm` too short or not
 * DICOM at all) is an error naming it, since the level it held would otherwise silently drop out.
 */
export async function readFolder(dir: string, exclude: Set<string>, seriesUid: string | null): Promise<Instance[]> {
  const out: Instance[] = [];
  try {
    for (const file of await listFiles(dir)) {
      if (exclude.has(file)) continue;
      let source: FileSource | null = null;
      let keep = false;
      try {
        source = await FileSource.open(file);
        if (!(await isDicomFile(source))) {
          if (/\.dcm$/i.test(file)) throw new SlideError('truncated', `${source.size} bytes, without the DICOM preamble and DICM prefix`);
          continue;
        }
        const instance = await readInstance(source);
        if (instance.sopClass === WSI_SOP_CLASS && (seriesUid === null || instance.seriesUid === seriesUid)) {
          out.push(instance);
          keep = true;
        }
      } catch (err) {
        // An entry that cannot even be opened (a dangling link, say) is foreign unless named .dcm.
        if (!source && !/\.dcm$/i.test(file)) continue;
        throw damagedSibling(file, err);
      } finally {
        if (!keep) await source?.close().catch(() => undefined);
      }
    }
  } catch (err) {
    await Promise.all(out.map((i) => i.source.close().catch(() => undefined)));
    throw err;
  }
  return out;
}
