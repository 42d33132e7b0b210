// Where the app's own files are, whether running from source (tsx), from `dist/` or from a packaged asar.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findAppRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tessera') return dir;
      } catch {
        // keep walking up
      }
    }
    dir = dirname(dir);
  }
  return process.cwd();
}

/** The folder holding Tessera's package.json. */
export const appRoot = findAppRoot();

/** The compiled renderer (`npm run build:renderer` writes it). */
export const rendererDir = join(appRoot, 'app', 'dist', 'renderer');

export const appVersion: string = (() => {
  try {
    return (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();
