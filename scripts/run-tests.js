#!/usr/bin/env node
// Runs the whole test suite with Node's own test runner: unit tests beside the code (main/**/*.test.ts, renderer/**/*.test.ts)
// and end-to-end tests (e2e/**/*.test.ts), TypeScript loaded through tsx.
// Usage: node scripts/run-tests.js [path-filter...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const filters = process.argv.slice(2);

function findTests(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = ['main', 'renderer', 'e2e']
  .flatMap((d) => findTests(join(root, d), []))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-force-exit', '--test-concurrency=2', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, TESSERA_TEST: '1' } },
);
process.exit(result.status ?? 1);
