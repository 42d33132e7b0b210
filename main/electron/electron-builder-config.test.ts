// The packaging configuration is checked here, since electron-builder itself cannot run offline:
// required keys, files that exist, the app entry and preload inside `files`, native modules unpacked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { minimatch } from 'minimatch';
import sharp from 'sharp';
import { appRoot } from '../services/app-paths.js';

const require = createRequire(import.meta.url);
// electron-builder's own YAML parser (no types are installed for it).
const yaml = require('js-yaml') as { load(text: string): unknown };

interface BuilderConfig {
  appId: string;
  productName: string;
  directories: { buildResources: string; output: string; app?: string };
  files: string[];
  asar: boolean;
  asarUnpack: string[];
  linux: { target: string[]; icon: string };
  win: { target: string[]; icon: string };
  mac: { target: string[]; icon: string };
}

const config = yaml.load(readFileSync(join(appRoot, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
const pkg = JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as {
  main: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** electron-builder's `files` semantics, simplified: included by a positive pattern and not by a later negation. */
function packed(path: string): boolean {
  let included = false;
  for (const pattern of config.files) {
    if (pattern.startsWith('!')) {
      if (minimatch(path, pattern.slice(1), { dot: true })) included = false;
    } else if (minimatch(path, pattern, { dot: true })) included = true;
  }
  return included;
}

test('identity, folders and targets', () => {
  assert.match(config.appId, /^[a-z]+(\.[a-z0-9-]+)+$/);
  assert.equal(config.productName, 'Tessera');
  assert.equal(config.directories.buildResources, 'build');
  assert.equal(config.directories.output, 'release');
  assert.ok(existsSync(join(appRoot, config.directories.buildResources)));
  assert.deepEqual([...config.linux.target].sort(), ['AppImage', 'deb']);
  assert.deepEqual(config.win.target, ['nsis']);
  assert.deepEqual(config.mac.target, ['dmg']);
  assert.equal(config.asar, true);
  assert.ok(pkg.devDependencies.electron, 'electron must be a devDependency for electron-builder');
  assert.ok(!pkg.dependencies.electron);
});

test('icons exist and are big enough for every platform (512 px)', async () => {
  for (const icon of new Set([config.linux.icon, config.win.icon, config.mac.icon])) {
    const path = join(appRoot, icon);
    assert.ok(existsSync(path), icon);
    const meta = await sharp(path).metadata();
    assert.ok(meta.width! >= 512 && meta.height === meta.width, `${icon} is ${meta.width}×${meta.height}`);
  }
});

test('the app entry, the preload and the renderer are in the package', () => {
  assert.equal(pkg.main, 'dist/main/electron/main.js');
  assert.ok(packed(pkg.main), 'package.json main is packed');
  assert.ok(existsSync(join(appRoot, 'main', 'electron', 'main.ts')), 'main.ts compiles to the entry');
  assert.ok(packed('dist/main/electron/preload.cjs'));
  assert.ok(existsSync(join(appRoot, 'main', 'electron', 'preload.cts')), 'preload.cts compiles to preload.cjs');
  assert.ok(packed('app/dist/renderer/index.html'));
  assert.ok(packed('app/dist/renderer/assets/index-abc.js'));
  assert.ok(!packed('app/dist/renderer/assets/index-abc.js.map'));
  assert.ok(!packed('dist/main/services/slide-routes.test.js'), 'tests are not packed');
  assert.ok(!packed('dist/e2e/viewer.test.js'));
  assert.ok(!packed('renderer/src/App.svelte'), 'sources are not packed');
  const vite = readFileSync(join(appRoot, 'renderer', 'vite.config.ts'), 'utf8');
  assert.match(vite, /\.\.\/app\/dist\/renderer/, 'vite writes where the package takes the renderer from');
});

function productionClosure(): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    const manifest = join(appRoot, 'node_modules', name, 'package.json');
    if (!existsSync(manifest)) return;
    seen.add(name);
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    for (const dep of Object.keys({ ...m.dependencies, ...m.optionalDependencies })) visit(dep);
  };
  for (const dep of Object.keys(pkg.dependencies)) visit(dep);
  return seen;
}

function nativeFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) nativeFiles(path, out);
    else if (name.endsWith('.node')) out.push(path);
  }
  return out;
}

test('every native addon of a production dependency is unpacked from the asar', () => {
  const natives: string[] = [];
  for (const name of productionClosure()) nativeFiles(join(appRoot, 'node_modules', name), natives);
  assert.ok(natives.some((p) => p.includes('sharp')), 'sharp has a native addon here');
  assert.ok(natives.some((p) => p.includes('onnxruntime-node')), 'onnxruntime-node has a native addon here');
  for (const file of natives) {
    const rel = relative(appRoot, file).split('\\').join('/');
    assert.ok(config.asarUnpack.some((g) => minimatch(rel, g, { dot: true })), `${rel} is not unpacked`);
  }
  for (const required of ['node_modules/sharp/**/*', 'node_modules/@img/**/*', 'node_modules/onnxruntime-node/**/*']) {
    assert.ok(config.asarUnpack.includes(required), required);
  }
});
