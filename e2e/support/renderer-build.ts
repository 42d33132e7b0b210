// End-to-end tests and benchmarks run the compiled renderer: build it when missing or older than its sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { appRoot, rendererDir } from '../../main/services/app-paths.js';

/** Folders (from the app root) the renderer bundle is built from. */
export const rendererSourceDirs = ['renderer', 'main/contracts', 'main/common'];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    newest = Math.max(newest, s.mtimeMs, s.isDirectory() ? newestMtime(path) : 0);
  }
  return newest;
}

export function ensureRendererBuilt(): void {
  const index = join(rendererDir, 'index.html');
  // Everything the bundle is built from: renderer/ (sources, index.html, public/, configs) and the main/ code
  // the renderer may import (the import rule in eslint.config.js); the same list as scripts/start.js.
  // A folder's own mtime counts too, so deleting a file rebuilds.
  const sources = Math.max(
    ...rendererSourceDirs.map((d) => join(appRoot, d)).map((d) => Math.max(statSync(d).mtimeMs, newestMtime(d))),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const vite = join(appRoot, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
    cwd: appRoot,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`Renderer build failed:\n${r.stdout}\n${r.stderr}`);
}
