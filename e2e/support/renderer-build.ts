// End-to-end tests and benchmarks run the compiled renderer: build it when missing or older than its sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { appRoot, rendererDir } from '../../main/services/app-paths.js';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(path) : s.mtimeMs);
  }
  return newest;
}

export function ensureRendererBuilt(): void {
  const index = join(rendererDir, 'index.html');
  const sources = Math.max(
    newestMtime(join(appRoot, 'renderer', 'src')),
    statSync(join(appRoot, 'renderer', 'index.html')).mtimeMs,
    statSync(join(appRoot, 'main', 'contracts')).mtimeMs,
    newestMtime(join(appRoot, 'main', 'contracts')),
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const vite = join(appRoot, 'node_modules', 'vite', 'bin', 'vite.js');
  const r = spawnSync(process.execPath, [vite, 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'], {
    cwd: appRoot,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`Renderer build failed:\n${r.stdout}\n${r.stderr}`);
}
