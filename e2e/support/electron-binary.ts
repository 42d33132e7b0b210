// Where the Electron binary is, without `require('electron')` (which tries to download it).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appRoot } from '../../main/services/app-paths.js';

export function electronBinary(): string | null {
  if (process.env.TESSERA_ELECTRON && existsSync(process.env.TESSERA_ELECTRON)) return process.env.TESSERA_ELECTRON;
  const dir = join(appRoot, 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const exe = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(exe) ? exe : null;
}
