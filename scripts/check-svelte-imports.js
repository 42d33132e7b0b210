#!/usr/bin/env node
// The renderer's import rule (eslint.config.js `importRules.renderer`) for .svelte files, which eslint does
// not parse here (no Svelte parser dependency). Part of `npm run lint`.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { importRules } from '../eslint.config.js';

const root = join(import.meta.dirname, '..');
const rule = new RegExp(importRules.renderer.regex);
const specifier = /(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"]+)\1/g;

function svelteFiles(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) svelteFiles(path, out);
    else if (name.endsWith('.svelte')) out.push(path);
  }
  return out;
}

let problems = 0;
for (const file of svelteFiles(join(root, 'renderer'), [])) {
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    for (const m of line.matchAll(specifier)) {
      if (!rule.test(m[2])) continue;
      problems++;
      console.error(`${relative(root, file)}:${i + 1}  '${m[2]}': ${importRules.renderer.message}`);
    }
  });
}
if (problems > 0) {
  console.error(`check-svelte-imports: ${problems} restricted import(s)`);
  process.exit(1);
}
