// End to end through main(), as a script would call it, with the app's EmbeddingService, its on-disk cache
// and the built-in encoder (tessera-stain-texture-v1): annotate, `tessera probe train`, `tessera heatmap`
// to every format, outputs parsed back and checked against ground truth.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import sharp from 'sharp';
import { tempDir } from '../../encoder/testing/temp-dir.js';
import { auroc } from '../../encoder/testing/linear-probe-auroc.js';
import { SAMPLE_TISSUE_REGIONS, SAMPLE_TUMOUR_REGIONS, ensureSampleSlide } from '../../sample/sample-slide.js';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';
import { runCli } from '../testing/run-cli.js';

const dataDir = tempDir('cli-probe');
let sampleSlide = '';
before(async () => {
  // The sample slide from the usual data folder (generated there once); models and embeddings in a fresh one.
  sampleSlide = await ensureSampleSlide();
  process.env.TESSERA_DATA_DIR = dataDir;
  process.env.TESSERA_EP = 'cpu';
});

type Ring = readonly (readonly number[])[];
const rect = (x: number, y: number, w: number, h: number): number[][] => [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];
const closed = (ring: Ring) => [...ring.map((p) => [p[0], p[1]]), [ring[0][0], ring[0][1]]];
/** A QuPath annotation Feature (see annotations/geojson-export.ts). */
const feature = (id: string, name: string, ring: Ring) => ({
  type: 'Feature',
  id,
  geometry: { type: 'Polygon', coordinates: [closed(ring)] },
  properties: { objectType: 'annotation', classification: { name, color: name === 'Normal' || name === 'Background' ? [60, 160, 60] : [200, 0, 0] } },
});

function inside([x, y]: readonly number[], ring: Ring): boolean {
  let c = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}
const distance = (p: readonly number[], ring: Ring) => Math.min(...ring.map((v) => Math.hypot(v[0] - p[0], v[1] - p[1])));

interface CsvPatch {
  x: number;
  y: number;
  size: number;
  p: number[];
}
async function readCsv(path: string): Promise<{ header: string; mpps: Set<string>; slides: Set<string>; patches: CsvPatch[] }> {
  const [header, ...lines] = (await readFile(path, 'utf8')).trim().split('\n');
  const rows = lines.map((l) => l.split(','));
  return {
    header,
    slides: new Set(rows.map((r) => r[0])),
    mpps: new Set(rows.map((r) => r[1])),
    patches: rows.map((r) => ({ x: Number(r[2]), y: Number(r[3]), size: Number(r[4]), p: r.slice(5).map(Number) })),
  };
}

async function imageSize(path: string): Promise<[number, number]> {
  const m = await sharp(path).metadata();
  return [m.width!, m.height!];
}

const tumours = SAMPLE_TUMOUR_REGIONS;
const [trainT1, heldT2, trainT3, heldT4] = tumours.map((t) => t.polygon);
// Tumour-free tissue, ≥ 1,000 level-0 px from any tumour (checked below).
const normal1 = rect(7200, 4200, 1800, 1800);
const normal2 = rect(11400, 7800, 1800, 1800);

test('sample slide: probe train (Tumour vs Normal) + heatmap --all-tissue at 1 µm/px to every format, checked against ground truth', async () => {
  for (const r of [normal1, normal2]) {
    assert.ok(r.every((p) => SAMPLE_TISSUE_REGIONS.some((t) => inside(p, t.polygon))), 'normal region on tissue');
    assert.ok(tumours.every((t) => r.every((p) => !inside(p, t.polygon) && distance(p, t.polygon) > 900)), 'normal region away from tumour');
  }
  const annotations = join(dataDir, 'sample-annotations.geojson');
  await writeFile(
    annotations,
    JSON.stringify({
      type: 'FeatureCollection',
      features: [feature('t1', 'Tumour', trainT1), feature('t3', 'Tumour', trainT3), feature('n1', 'Normal', normal1), feature('n2', 'Normal', normal2)],
    }),
  );
  const probePath = join(dataDir, 'sample-probe.json');
  const trained = await runCli(['probe', 'train', '--slide', sampleSlide, '--annotations', annotations, '--mpp', '1', '--out', probePath]);
  assert.equal(trained.code, 0, trained.stderr);
  assert.match(trained.stderr, /model tessera-stain-texture-v1 on cpu/);
  assert.match(trained.stdout, /classes: Tumour \(\d+ patches\), Normal \(\d+ patches\)/);
  assert.match(trained.stdout, /4-fold cross-validation, grouped by annotation region: accuracy [\d.]+, macro AUROC [\d.]+/);
  const probe = JSON.parse(await readFile(probePath, 'utf8'));
  assert.equal(probe.encoder.modelId, 'tessera-stain-texture-v1');
  assert.match(probe.encoder.checksum, /^[0-9a-f]{64}$/);
  assert.deepEqual(probe.magnifications, [1]);
  assert.equal(probe.dim, 82);
  assert.ok(probe.metrics.crossValidation.macroAuroc > 0.9, `CV macro AUROC ${probe.metrics.crossValidation.macroAuroc}`);

  // Without --all-tissue: only the patches the training embedded (the cache).
  const fromCache = await runCli(['heatmap', sampleSlide, '--probe', probePath, '--out', join(dataDir, 'cached.csv')]);
  assert.equal(fromCache.code, 0, fromCache.stderr);
  assert.match(fromCache.stderr, /from the embedding cache/);
  const cachedCount = (await readCsv(join(dataDir, 'cached.csv'))).patches.length;

  const heat = (ext: string, allTissue: boolean) => runCli(['heatmap', sampleSlide, '--probe', probePath, ...(allTissue ? ['--all-tissue'] : []), '--out', join(dataDir, `sample.${ext}`)]);
  const first = await heat('csv', true);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, /embedding mpp 1: \[#+\] \d+\/\d+ patches \(\d+ cached\)/);
  for (const ext of ['png', 'tif', 'geojson', 'html']) {
    const r = await heat(ext, ext === 'png'); // the rest from the cache, now holding all tissue
    assert.equal(r.code, 0, r.stderr);
  }

  const csv = await readCsv(join(dataDir, 'sample.csv'));
  assert.equal(csv.header, 'slide,mpp,x,y,size,Tumour,Normal');
  assert.deepEqual([...csv.slides], ['tessera-sample-he-v1.tiff']);
  assert.deepEqual([...csv.mpps], ['1']);
  const size = 224 * 1 / 0.25;
  // Patches every half patch (the default stride), all of the same size.
  assert.ok(csv.patches.every((q) => q.size === size && q.x % (size / 2) === 0 && q.y % (size / 2) === 0 && Math.abs(q.p[0] + q.p[1] - 1) < 1e-4));
  assert.ok(csv.patches.some((q) => q.x % size !== 0), 'overlapping patches');
  assert.ok(csv.patches.length > cachedCount, `all tissue (${csv.patches.length}) beyond the training cache (${cachedCount})`);
  const centre = (q: CsvPatch) => [q.x + q.size / 2, q.y + q.size / 2];
  const onTissue = csv.patches.filter((q) => SAMPLE_TISSUE_REGIONS.some((t) => inside(centre(q), t.polygon))).length;
  assert.ok(onTissue / csv.patches.length > 0.7, `${onTissue} of ${csv.patches.length} patches centred on tissue`);

  // Held out: patches centred in the two tumours not annotated vs patches well away from every tumour and
  // outside the Normal annotations.
  const held: number[] = [];
  const truth: number[] = [];
  for (const q of csv.patches) {
    const c = centre(q);
    if ([heldT2, heldT4].some((t) => inside(c, t))) truth.push(1);
    else if (tumours.every((t) => !inside(c, t.polygon) && distance(c, t.polygon) > q.size) && ![normal1, normal2].some((r) => inside(c, r))) truth.push(0);
    else continue;
    held.push(q.p[0]);
  }
  const positives = truth.filter((t) => t === 1).length;
  assert.ok(positives >= 4 && truth.length - positives >= 50, `${positives} held-out tumour patches, ${truth.length - positives} normal`);
  const heldAuroc = auroc(held, truth);
  assert.ok(heldAuroc > 0.9, `held-out tumour AUROC ${heldAuroc.toFixed(3)}`);

  // Every ground-truth tumour's centre lies in a tumour region of the GeoJSON; its regions lie on tumour.
  const regions = JSON.parse(await readFile(join(dataDir, 'sample.geojson'), 'utf8'));
  const rings: number[][][] = regions.features.map((f: { geometry: { coordinates: number[][][] } }) => f.geometry.coordinates[0]);
  assert.ok(rings.length >= 1 && regions.features.every((f: { properties: { classification: { name: string } } }) => f.properties.classification.name === 'Tumour'));
  for (const t of [trainT1, heldT2, trainT3, heldT4]) {
    const c = [t.reduce((s, p) => s + p[0], 0) / t.length, t.reduce((s, p) => s + p[1], 0) / t.length];
    assert.ok(rings.some((r) => inside(c, r)), `tumour at ${c.map(Math.round)} outlined`);
  }
  let hits = 0;
  let total = 0;
  for (let y = 0; y < 15360; y += 128) {
    for (let x = 0; x < 20480; x += 128) {
      if (!rings.some((r) => inside([x, y], r))) continue;
      total++;
      if (tumours.some((t) => inside([x, y], t.polygon) || distance([x, y], t.polygon) < size)) hits++;
    }
  }
  assert.ok(total > 0 && hits / total > 0.8, `${hits} of ${total} points of the outlined regions lie on or within a patch of tumour`);

  // PNG and TIFF: one pixel per quarter patch over the whole slide.
  const grid = [Math.ceil(20480 / (size / 4)), Math.ceil(15360 / (size / 4))];
  assert.deepEqual(await imageSize(join(dataDir, 'sample.png')), grid);
  assert.deepEqual(await imageSize(join(dataDir, 'sample.tif')), grid);
  // --overlay: the heatmap over the slide's own pixels, with a legend band below (taller than the bare raster).
  const overlay = await runCli(['heatmap', sampleSlide, '--probe', probePath, '--overlay', '--out', join(dataDir, 'over.png')]);
  assert.equal(overlay.code, 0, overlay.stderr);
  const over = await sharp(join(dataDir, 'over.png')).raw().toBuffer({ resolveWithObject: true });
  assert.ok(over.info.width >= grid[0] && over.info.height > grid[1], `legend band below the ${grid.join('×')} slide (${over.info.width}×${over.info.height})`);
  // Nowhere transparent: the slide (glass, tissue) is under the colours.
  let transparent = 0;
  for (let i = 3; i < over.data.length; i += over.info.channels) if (over.info.channels === 4 && over.data[i] < 255) transparent++;
  assert.equal(transparent, 0);
  const html = await readFile(join(dataDir, 'sample.html'), 'utf8');
  assert.match(html, /tessera-stain-texture-v1/);
  assert.match(html, /Tumour/);
  console.log(`sample: CV macro AUROC ${probe.metrics.crossValidation.macroAuroc.toFixed(3)}, held-out AUROC ${heldAuroc.toFixed(3)} (${positives} tumour / ${truth.length - positives} normal patches), ${rings.length} regions, ${hits}/${total} on tumour`);
});

test('CMU-1-Small-Region.svs: probe train (Tissue vs Background) + heatmap --all-tissue; a probe of another encoder is refused', { skip: skipWithoutShared }, async () => {
  const slide = shared('data', 'slides', 'CMU-1-Small-Region.svs');
  // Level-0 px, read off the slide: tissue columns in the lower middle, empty glass left and top right.
  const geojson = join(dataDir, 'cmu1.geojson');
  await writeFile(
    geojson,
    JSON.stringify({
      type: 'FeatureCollection',
      features: [
        feature('t1', 'Tissue', rect(840, 1440, 360, 1380)),
        feature('t2', 'Tissue', rect(1380, 1860, 360, 960)),
        feature('b1', 'Background', rect(60, 1320, 660, 1560)),
        feature('b2', 'Background', [[1500, 0], [2160, 0], [2160, 720], [1500, 600]]),
      ],
    }),
  );
  const probePath = join(dataDir, 'cmu1-probe.json');
  const trained = await runCli(['probe', 'train', '--slide', slide, '--annotations', geojson, '--mpp', '0.5,1', '--out', probePath]);
  assert.equal(trained.code, 0, trained.stderr);
  const probe = JSON.parse(await readFile(probePath, 'utf8'));
  assert.deepEqual(probe.classes.map((c: { name: string }) => c.name), ['Tissue', 'Background']);
  assert.deepEqual(probe.magnifications, [0.5, 1]);
  assert.equal(probe.dim, 2 * 82, 'two magnifications concatenated');
  assert.equal(probe.metrics.crossValidation.folds, 4);
  assert.ok(probe.metrics.crossValidation.macroAuroc > 0.95, `CV macro AUROC ${probe.metrics.crossValidation.macroAuroc}`);
  assert.deepEqual(probe.training.slides[0].annotationIds.sort(), ['b1', 'b2', 't1', 't2']);
  const again = await runCli(['probe', 'train', '--slide', slide, '--annotations', geojson, '--out', probePath]);
  assert.equal(again.code, 1, 'no overwrite without --force');
  assert.match(again.stderr, /already exists/);

  for (const ext of ['csv', 'png']) {
    const r = await runCli(['heatmap', slide, '--probe', probePath, '--all-tissue', '--class', 'Tissue', '--out', join(dataDir, `cmu1.${ext}`)]);
    assert.equal(r.code, 0, r.stderr);
  }
  const csv = await readCsv(join(dataDir, 'cmu1.csv'));
  assert.equal(csv.header, 'slide,mpp,x,y,size,Tissue,Background');
  const at = (x: number, y: number) => csv.patches.find((q) => q.x <= x && x < q.x + q.size && q.y <= y && y < q.y + q.size);
  assert.ok(at(1000, 2000)!.p[0] > 0.5, 'tissue patch');
  // The tissue mask keeps patches with ≥ 5% tissue: those along the tissue's edges are mostly glass.
  const tissueShare = csv.patches.filter((q) => q.p[0] > 0.5).length / csv.patches.length;
  assert.ok(tissueShare > 0.6, `${(tissueShare * 100).toFixed(0)}% of the tissue mask's patches called Tissue`);
  const column = csv.patches.filter((q) => q.x >= 898 && q.x + q.size <= 1575 && q.y >= 898 && q.y + q.size <= 2700);
  assert.ok(column.length >= 20 && column.every((q) => q.p[0] > 0.5), 'the tissue column is Tissue throughout');
  assert.deepEqual(await imageSize(join(dataDir, 'cmu1.png')), [Math.ceil(2220 / (224.4489 / 4)), Math.ceil(2967 / (224.4489 / 4))]);

  // A probe of another encoder, or of other weights under the same id, is refused before any embedding.
  await writeFile(probePath, JSON.stringify({ ...probe, encoder: { modelId: 'other-encoder', checksum: null } }));
  const other = await runCli(['heatmap', slide, '--probe', probePath, '--out', join(dataDir, 'x.png')]);
  assert.equal(other.code, 1);
  assert.match(other.stderr, /trained on encoder "other-encoder", which is not installed/);
  await writeFile(probePath, JSON.stringify({ ...probe, encoder: { ...probe.encoder, checksum: '0'.repeat(64) } }));
  const reweighted = await runCli(['heatmap', slide, '--probe', probePath, '--out', join(dataDir, 'x.png')]);
  assert.equal(reweighted.code, 1);
  assert.match(reweighted.stderr, /different weights/);
});
