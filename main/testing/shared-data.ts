// Where the real test data lives (`../shared` beside the repo), and how tests skip without it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = process.env.TESSERA_SHARED_DIR ?? resolve(repoRoot, '..', 'shared');
export const hasShared = existsSync(join(sharedDir, 'README.md'));

/** Path inside ../shared. */
export function shared(...parts: string[]): string {
  return join(sharedDir, ...parts);
}

/** For `test(name, { skip: skipWithoutShared }, fn)`: false when the data is there, else the reason printed. */
export const skipWithoutShared: false | string = hasShared
  ? false
  : `../shared is absent (looked in ${sharedDir}): this test needs the real slides/patches/models there`;
