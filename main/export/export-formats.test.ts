// The one list of export formats (main/common/export-formats.ts): every format has a writer that writes what
// its media type says, every extension picks its format, and 'tif' and 'tiff' name the same one everywhere.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as v from 'valibot';
import { exportFormatIds, exportFormatMatchesName, exportFormatNamed, exportFormats, exportNameProblem, type ExportFormatId } from '../common/export-formats.js';
import { exportFormatSchema } from '../common/schemas/api-params.js';
import type { AnalysisExportFormat } from '../contracts/analysis.js';
import { gridProbabilities } from '../heatmap/testing/grid-probabilities.js';
import type { ProbeFile } from '../probe/probe-file.js';
import { exportHeatmap } from './export-heatmap.js';
import { exportWriters } from './export-writers.js';
import { exportFormatFor, exportFormatOf } from './write-export.js';

// The contract's format type is the list's ids, both ways.
const contractIds: readonly AnalysisExportFormat[] = exportFormatIds;
const listIds: readonly ExportFormatId[] = [] as AnalysisExportFormat[];
void [contractIds, listIds];

test('each extension picks its format; tif and tiff are one format everywhere', () => {
  assert.deepEqual(Object.keys(exportWriters).sort(), [...exportFormatIds].sort(), 'one writer per format');
  for (const f of exportFormats) {
    for (const ext of f.extensions) {
      assert.equal(exportFormatFor(`/out/x.${ext.toUpperCase()}`).id, f.id);
      assert.ok(exportFormatMatchesName(f.id, `/out/x.${ext}`));
      assert.equal(exportFormatOf(`/out/x.${ext}`), f.extensions[0]);
    }
  }
  assert.equal(exportFormatOf('/out/h.tiff'), 'tif', 'what `tessera heatmap` prints: "wrote tif …"');
  assert.equal(v.parse(exportFormatSchema, 'tiff'), 'tiff');
  assert.equal(v.parse(exportFormatSchema, 'tif'), 'tiff', 'the spelling the CLI and writers used is accepted on input');
  assert.equal(exportFormatNamed('tif')?.id, 'tiff');
  const refused = v.safeParse(exportFormatSchema, 'jpeg');
  assert.ok(!refused.success && refused.issues[0].message === 'must be one of png, tiff, geojson, csv, html');
  for (const bad of ['/out/x.jpg', '/out/.png', '/out/x.', '/out.png/x'])
    assert.throws(() => exportFormatFor(bad), /cannot tell the export format from .*: use \.png, \.tif, \.geojson, \.csv or \.html$/, bad);
  assert.ok(!exportFormatMatchesName('png', '/out/x.tif'));
  assert.equal(exportNameProblem('tiff', '/out/x.TIFF'), null);
  assert.equal(exportNameProblem('csv', '/out/x.png'), '/out/x.png does not end in .csv (the CSV format)');
  assert.match(exportNameProblem('csv', '/out/x.txt')!, /^cannot tell the export format from "\/out\/x.txt": use \.png, /);
});

const probe = {
  format: 'tessera-probe', version: 1, encoder: { modelId: 'm', checksum: null }, magnifications: [1], dim: 2,
  classes: [{ name: 'Tumour', colour: [200, 0, 0] }, { name: 'Normal', colour: [0, 160, 60] }],
  standardisation: { mean: [0, 0], std: [1, 1] }, weights: [[1, 0], [-1, 0]], bias: [0, 0], l2: 0.001,
  metrics: { crossValidation: null, perClassCount: [10, 12] },
  training: { slides: [{ slideFingerprint: 's', annotationIds: ['a'] }], patchCount: 22, createdAt: '2026-01-01T00:00:00Z', warnings: [] },
} as ProbeFile; // prettier-ignore

/** What a file of each media type starts with. */
const looksLike: Record<string, (b: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 4).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47])),
  'image/tiff': (b) => ['II*\0', 'II+\0', 'MM\0*', 'MM\0+'].includes(b.subarray(0, 4).toString('latin1')),
  'application/geo+json': (b) => JSON.parse(b.toString()).type === 'FeatureCollection',
  'text/csv': (b) => /^[^\n]+,[^\n]+\n/.test(b.toString()),
  'text/html': (b) => /^<!doctype html>/i.test(b.toString()),
};

test('every format of the list writes a file of its media type, under each of its extensions', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-formats-'));
  try {
    const base = { slideName: 's.svs', slide: { width: 2000, height: 1700, mpp: { x: 0.5, y: 0.5 } }, probe, probabilities: gridProbabilities(5, 4, (c) => c / 4), downsample: 16 };
    for (const f of exportFormats) {
      for (const ext of f.extensions) {
        const path = join(dir, `h.${ext}`);
        assert.equal(await exportHeatmap(path, base), f.extensions[0]);
        assert.ok(looksLike[f.mediaType]?.(await readFile(path)), `${path} is ${f.mediaType}`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
