// Adding a colour map to the list in colour-maps.ts is all it takes: every consumer (the API's check, the
// CLI's --colour-map, the heatmap renderer and export legends, the viewer's menu) offers exactly its names.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import * as v from 'valibot';
import { registerHeatmap } from '../cli/commands/heatmap.js';
import type { HeatmapColourMap } from '../contracts/analysis.js';
import { renderRaster } from '../heatmap/colour-maps.js';
import type { ProbabilityRaster } from '../heatmap/probability-raster.js';
import { colourMapList, colourMapNames, colourMaps, colourMapTable, defaultColourMap, isColourMapName, type ColourMapName } from './colour-maps.js';
import { colourMapSchema } from './schemas/api-params.js';

// The contract's type is the list's names, both ways (a compile error otherwise).
const contractNames: readonly HeatmapColourMap[] = colourMapNames;
const listNames: readonly ColourMapName[] = [] as HeatmapColourMap[];
void [contractNames, listNames];

/** The viewer's module, loaded at run time: the renderer is type-checked by its own tsconfig, not this one. */
const viewerModule = '../../renderer/src/analysis/colour-maps.ts';
type Viewer = { colourMapNames: readonly string[]; colourGradient: (name: ColourMapName) => string };

test('every consumer offers the names of the one list', async () => {
  const { colourMapNames: viewerNames, colourGradient } = (await import(viewerModule)) as Viewer;
  const names = colourMaps.map((m) => m.name);
  assert.deepEqual(colourMapNames, names);
  assert.ok(names.includes(defaultColourMap));
  assert.deepEqual(viewerNames, names, 'the viewer menu');
  // The API: each name accepted, anything else refused with the list in the message.
  for (const name of names) assert.equal(v.parse(colourMapSchema, name), name);
  const refused = v.safeParse(colourMapSchema, 'parula');
  assert.ok(!refused.success && refused.issues[0].message === `must be ${colourMapList()}`);
  assert.equal(colourMapList(), 'viridis, magma or jet');
  // The CLI: --colour-map takes exactly these, defaulting to the list's default.
  const program = new Command('tessera');
  registerHeatmap(program);
  const option = program.commands.find((c) => c.name() === 'heatmap')!.options.find((o) => o.long === '--colour-map')!;
  assert.deepEqual(option.argChoices, names);
  assert.equal(option.defaultValue, defaultColourMap);
  assert.equal(option.description, colourMapList());
  // The renderer and the legends: every map draws, each its own colours, low to high as its stops.
  const raster: ProbabilityRaster = { className: 'T', width: 1, height: 1, cellSize: 1, offset: 0, values: Float32Array.from([1]) };
  for (const m of colourMaps) {
    assert.ok(isColourMapName(m.name));
    const lut = colourMapTable(m.name);
    assert.deepEqual([...lut.subarray(0, 3)], [...m.stops[0]]);
    assert.deepEqual([...lut.subarray(765, 768)], [...m.stops[m.stops.length - 1]]);
    const pixel = renderRaster(raster, 1, 1, 1, { colourMap: m.name, ramp: false, smooth: false });
    assert.deepEqual([...pixel.subarray(0, 3)], [...m.stops[m.stops.length - 1]], m.name);
    assert.match(colourGradient(m.name), /^linear-gradient\(to right, rgb\(/);
  }
  assert.equal(isColourMapName('__proto__'), false);
});

/** Source files (tests aside) under `dir`, relative to the repository. */
async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !/\.(ts|svelte)$/.test(e.name) || /\.test\.ts$/.test(e.name) || e.parentPath.includes('node_modules')) continue;
    out.push(join(e.parentPath, e.name));
  }
  return out;
}

test('no other source file lists the colour-map names', async () => {
  const root = join(import.meta.dirname, '..', '..');
  const listing = colourMapNames.filter((n) => n !== defaultColourMap); // the default may be named where it is the default
  const offenders: string[] = [];
  for (const file of [...(await sources(join(root, 'main'))), ...(await sources(join(root, 'renderer', 'src')))]) {
    const rel = relative(root, file);
    if (rel === join('main', 'common', 'colour-maps.ts')) continue;
    const text = await readFile(file, 'utf8');
    if (listing.some((n) => new RegExp(`['"\`]${n}['"\`]`).test(text))) offenders.push(rel);
  }
  assert.deepEqual(offenders, [], 'derive the names from main/common/colour-maps.ts instead');
});
