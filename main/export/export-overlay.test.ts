// "Heatmap over slide" PNG (slide pixels under the heatmap, legend and scale bar) and the probe report's
// thumbnail, confusion matrix, sensitivity/specificity, ROC axis ticks and training regions by name.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { colourMapTable } from '../heatmap/colour-maps.js';
import { gridProbabilities } from '../heatmap/testing/grid-probabilities.js';
import type { ProbeFile } from '../probe/probe-file.js';
import { exportHeatmap } from './export-heatmap.js';
import { COLOUR_BAR, LEGEND_HEIGHT, LEGEND_MIN_WIDTH, type SlidePicture } from './heatmap-image.js';
import { operatingPoint } from './probe-report-html.js';

const probe = {
  format: 'tessera-probe', version: 1, encoder: { modelId: 'm', checksum: null }, magnifications: [1], dim: 2,
  classes: [{ name: 'Tumour', colour: [200, 0, 0] }, { name: 'Normal', colour: [0, 160, 60] }],
  standardisation: { mean: [0, 0], std: [1, 1] }, weights: [[1, 0], [-1, 0]], bias: [0, 0], l2: 0.001,
  metrics: { crossValidation: { accuracy: 0.9, macroAuroc: 0.95, folds: 5, perClass: [
    { name: 'Tumour', count: 10, auroc: 0.95, roc: { fpr: [0, 0.25, 1], tpr: [0, 0.8, 1], thresholds: [2, 0.6, 0.1] } },
    { name: 'Normal', count: 12, auroc: 0.95, roc: { fpr: [0, 0.2, 1], tpr: [0, 0.9, 1], thresholds: [2, 0.4, 0.05] } }] }, perClassCount: [10, 12] },
  training: { slides: [{ slideFingerprint: 's', annotationIds: ['a', 'b'] }], patchCount: 22, createdAt: '2026-01-01T00:00:00Z', warnings: [] },
} as ProbeFile; // prettier-ignore

/** A pink/purple checkerboard "tissue" of 8 px squares at whatever size is asked. */
function fakeSlide(width: number, height: number): Promise<SlidePicture> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const dark = ((x >> 3) + (y >> 3)) % 2 === 1;
      data.set(dark ? [150, 60, 140] : [235, 170, 205], (y * width + x) * 3);
    }
  return Promise.resolve({ data, width, height, channels: 3 });
}

const base = {
  slideName: 'CMU-1.svs',
  slide: { width: 2000, height: 1700, mpp: { x: 0.5, y: 0.5 } },
  probe,
  probabilities: gridProbabilities(5, 4, (c) => c / 4),
  slideImage: fakeSlide,
};

test('heatmap over slide: slide pixels under the heatmap, a legend strip with the colour bar and a scale bar', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-overlay-'));
  try {
    const path = join(dir, 'over.png');
    await exportHeatmap(path, { ...base, downsample: 8, colourMap: 'jet', overlay: true, patches: true });
    const { data, info } = await sharp(path).raw().toBuffer({ resolveWithObject: true });
    const [w, h] = [250, 213]; // 2000 × 1700 at downsample 8
    assert.equal(info.width, Math.max(w, LEGEND_MIN_WIDTH));
    assert.equal(info.height, h + LEGEND_HEIGHT);
    const C = info.channels;
    const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * C, (y * info.width + x) * C + 3)];
    // Column 0 (p = 0) is the slide itself, untouched: both checker colours are there.
    const slideSamples = new Set<string>();
    for (let y = 0; y < h; y++) for (let x = 0; x < 20; x++) slideSamples.add(px(x, y).join());
    assert.deepEqual([...slideSamples].sort(), ['150,60,140', '235,170,205']);
    // Column 4 (p = 1): the heatmap colour blended over the tissue — neither the slide nor the bare colour,
    // and the checkerboard still shows through (two distinct blends).
    const lut = colourMapTable('jet');
    const top = [lut[255 * 3], lut[255 * 3 + 1], lut[255 * 3 + 2]].join();
    const heatSamples = new Set<string>();
    for (let y = 0; y < h; y++) for (let x = 230; x < 248; x++) heatSamples.add(px(x, y).join());
    assert.equal(heatSamples.size, 2, [...heatSamples].join(' | '));
    for (const s of heatSamples) {
      assert.ok(!slideSamples.has(s) && s !== top, `blend ${s}`);
    }
    // Legend: the colour bar runs from the map's low end to its high end; many distinct colours in the strip.
    const barY = h + COLOUR_BAR.y + 7;
    const near = (a: number[], b: number[]) => a.every((v, i) => Math.abs(v - b[i]) <= 2);
    assert.ok(near(px(COLOUR_BAR.x, barY), [lut[0], lut[1], lut[2]]), `bar start ${px(COLOUR_BAR.x, barY).join()}`);
    assert.ok(near(px(COLOUR_BAR.x + COLOUR_BAR.width - 1, barY), [lut[765], lut[766], lut[767]]));
    const legendColours = new Set<string>();
    for (let y = h; y < info.height; y++) for (let x = 0; x < info.width; x++) legendColours.add(px(x, y).join());
    assert.ok(legendColours.size > 60, `legend colours ${legendColours.size}`);
    // Scale bar: a run of black pixels in the right part of the strip (0.5 µm/px × 8 = 4 µm per px).
    const barRow = h + COLOUR_BAR.y + 6;
    let black = 0;
    for (let x = COLOUR_BAR.x + COLOUR_BAR.width + 10; x < info.width; x++) if (px(x, barRow).every((v) => v < 20)) black++;
    assert.ok(black >= 25 && black <= 200, `scale bar ${black} px`);
    // The bare raster is still the default.
    const bare = join(dir, 'bare.png');
    await exportHeatmap(bare, { ...base, downsample: 8 });
    const meta = await sharp(bare).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels], [w, h, 4]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('probe report: thumbnail with heatmap, confusion matrix and sensitivity/specificity at the threshold, ROC ticks, regions by name', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-report-'));
  try {
    const path = join(dir, 'r.html');
    const regions = [
      { id: 'a', name: 'Invasive front', className: 'Tumour', slideName: 'CMU-1.svs' },
      { id: 'b', name: null, className: 'Normal', slideName: 'CMU-1.svs' },
    ];
    await exportHeatmap(path, { ...base, threshold: 0.5, regions });
    const html = await readFile(path, 'utf8');
    // Thumbnail: an inline PNG of the slide with the heatmap and its legend.
    const img = /<img data-section="thumbnail"[^>]*src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/.exec(html);
    assert.ok(img, 'thumbnail image');
    const thumb = await sharp(Buffer.from(img[1], 'base64')).metadata();
    assert.equal(thumb.format, 'png');
    assert.ok(thumb.width! >= 400 && thumb.width! <= 800 && thumb.height! > LEGEND_HEIGHT, `${thumb.width}×${thumb.height}`);
    // Confusion matrix for Tumour at 0.5: 8 of 10 found, 3 of 12 false alarms.
    const confusion = /<table class="confusion"[^>]*data-class="Tumour"[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    const cell = (name: string) => Number(new RegExp(`data-cell="${name}">(\\d+)<`).exec(confusion)?.[1]);
    assert.deepEqual([cell('tp'), cell('fn'), cell('fp'), cell('tn')], [8, 2, 3, 9]);
    assert.match(html, /data-metric="sensitivity">0\.800</);
    assert.match(html, /data-metric="specificity">0\.750</);
    assert.match(html, /p ≥ 0\.50/);
    // ROC axis ticks on both axes, 0.0 … 1.0.
    const svg = /<svg[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    for (const axis of ['x', 'y']) {
      const ticks = [...svg.matchAll(new RegExp(`<g class="tick" data-axis="${axis}">[\\s\\S]*?<text[^>]*>([\\d.]+)</text>`, 'g'))].map((m) => m[1]);
      assert.deepEqual(ticks, ['0.0', '0.2', '0.4', '0.6', '0.8', '1.0'], axis);
    }
    assert.match(svg, /<circle[^>]*><title>Tumour at threshold 0\.50/);
    // Training regions by name (unnamed ones by id).
    const list = /<ol data-section="regions">([\s\S]*?)<\/ol>/.exec(html)?.[1] ?? '';
    assert.match(list, /<li data-region="a"><b>Invasive front<\/b> — Tumour, CMU-1\.svs<\/li>/);
    assert.match(list, /<li data-region="b"><i>unnamed<\/i> \(b\) — Normal/);
    assert.doesNotMatch(html, /<script|src="http/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('operatingPoint: the lowest stored cut at or above the threshold; none for probes without cuts', () => {
  assert.deepEqual(
    [0.7, 0.6, 0.05].map((t) => operatingPoint(probe, 0, t)?.truePositives),
    [0, 8, 10],
  );
  const old = structuredClone(probe);
  delete old.metrics.crossValidation!.perClass[0].roc.thresholds;
  assert.equal(operatingPoint(old, 0, 0.5), null);
});
