// The pixel size a user set for a slide whose file states none (or states a wrong one): versioned JSON, one
// file per slide content fingerprint under `<data dir>/slide-settings/`, beside the annotations. Every later
// open of the same slide bytes uses it, in the app and the CLI (unless `--mpp-override` gives another).
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';
import { tesseraDataDir } from '../common/data-dir.js';

export const pixelSizeFileVersion = 1;

/** The µm/px a user may set: from 0.01 (beyond any light microscope) to 100 (a 0.1× overview). */
export const MIN_USER_MPP = 0.01;
export const MAX_USER_MPP = 100;

/** `value` as a pixel size, or an error message saying why it is not one. */
export function checkUserMpp(value: unknown): number | string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `pixel size must be a number of µm/px, not ${JSON.stringify(value)}`;
  if (value < MIN_USER_MPP || value > MAX_USER_MPP) return `pixel size ${value} µm/px is outside ${MIN_USER_MPP}–${MAX_USER_MPP} µm/px`;
  return value;
}

export function pixelSizeFilePath(slideFingerprint: string, dataDir = tesseraDataDir()): string {
  if (!/^[A-Za-z0-9._-]+$/.test(slideFingerprint)) throw new Error(`slide fingerprint ${JSON.stringify(slideFingerprint)} is not a safe file name`);
  return join(dataDir, 'slide-settings', `${slideFingerprint}.json`);
}

/** The stored µm/px of the slide, or null when none is stored (or the file is unreadable: then a warning). */
export async function loadUserMpp(slideFingerprint: string, dataDir = tesseraDataDir()): Promise<number | null> {
  const path = pixelSizeFilePath(slideFingerprint, dataDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const raw = JSON.parse(text) as Record<string, unknown>;
    if (raw?.format !== 'tessera-slide-settings' || raw.version !== pixelSizeFileVersion) throw new Error('not a version-1 Tessera slide settings file');
    if (raw.slideFingerprint !== slideFingerprint) throw new Error('it belongs to another slide');
    const mpp = checkUserMpp(raw.mpp);
    if (typeof mpp === 'string') throw new Error(mpp);
    return mpp;
  } catch (err) {
    process.emitWarning(`ignoring ${path}: ${(err as Error).message}`, { code: 'TESSERA_SLIDE_SETTINGS' });
    return null;
  }
}

/** Stores `mpp` for the slide (atomically), or removes what is stored when `mpp` is null. */
export async function saveUserMpp(slideFingerprint: string, mpp: number | null, dataDir = tesseraDataDir()): Promise<void> {
  const path = pixelSizeFilePath(slideFingerprint, dataDir);
  if (mpp === null) {
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    return;
  }
  const checked = checkUserMpp(mpp);
  if (typeof checked === 'string') throw new RangeError(checked);
  const body = { format: 'tessera-slide-settings', version: pixelSizeFileVersion, slideFingerprint, mpp: checked, setAt: new Date().toISOString() };
  await writeFileAtomic(path, `${JSON.stringify(body, null, 2)}\n`);
}
