#!/usr/bin/env node
// The `tessera` command. Runs the compiled CLI; `npm install` builds it (the package's `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'main', 'cli', 'tessera.js');
if (!existsSync(compiled)) {
  process.stderr.write('tessera: the CLI is not built yet; run `npm run build` in ' + root + '\n');
  process.exit(2);
}
const { main } = await import(pathToFileURL(compiled).href);
process.exitCode = await main(process.argv.slice(2));
