// Where models and caches live: built-in models in the repo's native-models/, the user's under TESSERA_DATA_DIR.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tesseraDataDir } from '../common/data-dir.js';

/** The per-user data folder (see common/data-dir.ts). */
export const dataDir = (): string => tesseraDataDir();

export function userModelsDir(): string {
  return join(dataDir(), 'models');
}

export function embeddingCacheDir(): string {
  return join(dataDir(), 'embeddings');
}

/** native-models/ at the package root (found by package.json), from main/encoder or dist/main/encoder. */
export function builtInModelsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'native-models');
}
