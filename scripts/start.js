#!/usr/bin/env node
// `npm start [-- slide…]`: builds what is missing, then runs the desktop app in Electron. Where no
// Electron binary can be had (offline installs deny its download; CI), it starts the browser host
// instead (`tessera serve`) and prints the URL and why.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const args = process.argv.slice(2);
const INSTALL_TIMEOUT_MS = 20_000;

function newest(dir) {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

function run(cmd, cmdArgs, label, output) {
  process.stderr.write(`start: ${label}\n`);
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (r.status !== 0) {
    // tsc still writes its output on type errors: go on if there is something to run.
    if (output && existsSync(output)) {
      process.stderr.write(`start: ${label} reported errors; starting with what was built\n`);
      return;
    }
    process.stderr.write(`start: ${label} failed\n`);
    process.exit(r.status ?? 1);
  }
}

function ensureBuilt() {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const cli = join(root, 'dist', 'main', 'cli', 'tessera.js');
  if (mtime(cli) < newest(join(root, 'main'))) {
    run(npm, ['run', '--silent', 'build:main'], 'compiling main (tsc)…', cli);
  }
  const rendererIndex = join(root, 'app', 'dist', 'renderer', 'index.html');
  // Everything the bundle is built from: renderer/ and the main/ code the renderer may import (the import
  // rule in eslint.config.js); the same list as e2e/support/renderer-build.ts.
  const rendererSources = ['renderer', 'main/contracts', 'main/common'].map((d) => join(root, d));
  if (mtime(rendererIndex) < Math.max(...rendererSources.map((d) => Math.max(mtime(d), newest(d))))) {
    run(npm, ['run', '--silent', 'build:renderer'], 'building the renderer (vite)…');
  }
}

/** The Electron executable, or null with the reason. */
function electronBinary() {
  const dir = join(root, 'node_modules', 'electron');
  if (!existsSync(join(dir, 'package.json'))) return { path: null, why: 'the electron package is not installed' };
  const find = () => {
    const pathFile = join(dir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const exe = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(exe) ? exe : null;
  };
  let exe = find();
  if (exe) return { path: exe, why: null };
  // Its postinstall (the download) is denied in package.json allowScripts: try once, briefly.
  process.stderr.write('start: no Electron binary; trying to download it once…\n');
  const r = spawnSync(process.execPath, [join(dir, 'install.js')], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: INSTALL_TIMEOUT_MS,
    encoding: 'utf8',
  });
  exe = find();
  if (exe) return { path: exe, why: null };
  const detail = r.error?.code === 'ETIMEDOUT' ? `timed out after ${INSTALL_TIMEOUT_MS / 1000} s` : ((r.stderr || '').split('\n').find((l) => /error/i.test(l)) || `exit ${r.status}`).trim();
  return { path: null, why: `the Electron binary could not be downloaded (${detail})` };
}

ensureBuilt();
const electron = electronBinary();
if (electron.path) {
  const child = spawn(electron.path, [root, ...args], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  process.stderr.write(`start: ${electron.why}, so Tessera runs as a browser host instead. Open the URL below (it carries the access token).\n`);
  const child = spawn(process.execPath, [join(root, 'bin', 'tessera.js'), 'serve', ...args], { cwd: root, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code) => process.exit(code ?? 0));
}
