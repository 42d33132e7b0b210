import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { FileExistsError } from '../common/atomic-write.js';
import { gridProbabilities } from '../heatmap/testing/grid-probabilities.js';
import type { ProbeFile } from '../probe/probe-file.js';
import { exportHeatmap } from './export-heatmap.js';

const probe = {
  format: 'tessera-probe', version: 1, encoder: { modelId: 'm', checksum: null }, magnifications: [1], dim: 2,
  classes: [{ name: 'Tumour', colour: [200, 0, 0] }, { name: 'Normal', colour: [0, 160, 60] }],
  standardisation: { mean: [0, 0], std: [1, 1] }, weights: [[1, 0], [-1, 0]], bias: [0, 0], l2: 0.001,
  metrics: { crossValidation: { accuracy: 0.9, macroAuroc: 0.95, folds: 5, perClass: [
    { name: 'Tumour', count: 10, auroc: 0.95, roc: { fpr: [0, 0.1, 1], tpr: [0, 0.8, 1] } },
    { name: 'Normal', count: 12, auroc: 0.95, roc: { fpr: [0, 0.2, 1], tpr: [0, 0.9, 1] } }] }, perClassCount: [10, 12] },
  training: { slides: [{ slideFingerprint: 's', annotationIds: ['a', 'b'] }], patchCount: 22, createdAt: '2026-01-01T00:00:00Z', warnings: ['class <Tumour> is small'] },
} as ProbeFile; // prettier-ignore

test('exports: PNG aligned at a downsample, pyramidal TIFF with mpp resolution, GeoJSON, CSV, HTML; no silent overwrite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-export-'));
  try {
    const probabilities = gridProbabilities(5, 4, (c) => c / 4);
    const base = { slideName: 'CMU-1.svs', slide: { width: 2000, height: 1700, mpp: { x: 0.5, y: 0.5 } }, probe, probabilities };
    const png = join(dir, 'h.png');
    await exportHeatmap(png, { ...base, downsample: 16, colourMap: 'jet', patches: true });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([info.width, info.height, info.channels], [125, 107, 4]);
    // "Show patches": px 28 covers level-0 x 448–464 (patch 1), px 55 432 + 448 (patch 1), px 56 patch 2.
    const px = (u: number) => [...data.subarray(u * 4, u * 4 + 3)].join();
    assert.equal(data[3], 0, 'p = 0 is transparent (the opacity ramp)');
    assert.equal(px(28), px(55));
    assert.notEqual(px(55), px(56));
    // Smooth (the default): between patch centres 224 and 672 the colour changes pixel by pixel.
    const smooth = join(dir, 'smooth.png');
    await exportHeatmap(smooth, { ...base, downsample: 16, colourMap: 'jet' });
    const s = (await sharp(smooth).raw().toBuffer()).subarray(0, 125 * 4);
    assert.notEqual([...s.subarray(30 * 4, 30 * 4 + 3)].join(), [...s.subarray(40 * 4, 40 * 4 + 3)].join());
    assert.ok(s[40 * 4 + 3] > s[20 * 4 + 3], 'more opaque where the probability is higher');
    await assert.rejects(exportHeatmap(png, base), FileExistsError);
    await exportHeatmap(png, { ...base, overwrite: true, downsample: 8 });
    assert.equal((await sharp(png).metadata()).width, 250);

    const tif = join(dir, 'h.tif');
    await exportHeatmap(tif, { ...base, slide: { width: 20000, height: 17000, mpp: { x: 0.5, y: 0.5 } }, downsample: 4 });
    const meta = await sharp(tif).metadata();
    assert.equal(meta.width, 5000);
    assert.ok((meta.pages ?? 1) >= 5, `pyramid levels: ${meta.pages}`);
    assert.equal(meta.resolutionUnit, 'cm');
    // 2 µm per image px → 500 px/mm → 12700 dpi.
    assert.ok(Math.abs((meta.density ?? 0) - 12700) < 1, `density ${meta.density}`);

    const gj = join(dir, 'h.geojson');
    await exportHeatmap(gj, { ...base, threshold: 0.6 });
    const fc = JSON.parse(await readFile(gj, 'utf8'));
    assert.equal(fc.features[0].properties.objectType, 'annotation');
    assert.deepEqual(fc.features[0].properties.classification, { name: 'Tumour', color: [200, 0, 0] });
    const xs = fc.features[0].geometry.coordinates[0].map((p: number[]) => p[0]);
    assert.ok(Math.min(...xs) > 2 * 448 && Math.min(...xs) < 3 * 448 + 224, `tumour ≥ 0.6 starts between patch 2 and 3 centres: ${Math.min(...xs)}`);

    const csv = join(dir, 'h.csv');
    await exportHeatmap(csv, base);
    const lines = (await readFile(csv, 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'slide,mpp,x,y,size,Tumour,Normal');
    assert.equal(lines[2], 'CMU-1.svs,1,448,0,448,0.25000,0.75000');
    assert.equal(lines.length, 21);

    const html = join(dir, 'r.html');
    await writeFile(html, 'keep me');
    await assert.rejects(exportHeatmap(html, base), /already exists/);
    assert.equal(await readFile(html, 'utf8'), 'keep me');
    await exportHeatmap(html, { ...base, overwrite: true });
    const report = await readFile(html, 'utf8');
    assert.match(report, /<svg[^>]*>[\s\S]*<polyline/);
    assert.match(report, /class &#60;Tumour&#62; is small/);
    assert.doesNotMatch(report, /<script|src="http/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
