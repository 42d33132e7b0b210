// End to end on the real CMU-1-Small-Region.svs: annotate tissue vs background, `tessera probe train`,
// then `tessera heatmap` to every format. Embeddings come from a colour-statistics stand-in until the
// encoder's EmbeddingService is wired in.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { colourEmbedder } from '../../probe/testing/colour-embedder.js';
import { useSlideEmbedder } from '../../probe/slide-embeddings.js';
import { shared, skipWithoutShared } from '../../testing/shared-data.js';
import { main } from '../tessera.js';

const slide = shared('data', 'slides', 'CMU-1-Small-Region.svs');
const rect = (x: number, y: number, w: number, h: number) => [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]];
const feature = (id: string, name: string, coordinates: number[][][]) => ({
  type: 'Feature', id, geometry: { type: 'Polygon', coordinates }, properties: { objectType: 'annotation', classification: { name, color: name === 'Tissue' ? [200, 0, 0] : [180, 180, 180] } },
}); // prettier-ignore
// Level-0 px, read off the slide: tissue columns in the lower middle, empty glass left and top right.
const annotations = {
  type: 'FeatureCollection',
  features: [
    feature('t1', 'Tissue', rect(840, 1440, 360, 1380)),
    feature('t2', 'Tissue', rect(1380, 1860, 360, 960)),
    feature('b1', 'Background', rect(60, 1320, 660, 1560)),
    feature('b2', 'Background', [[[1500, 0], [2160, 0], [2160, 720], [1500, 600], [1500, 0]]]),
  ],
};

let dir = '';
let stderr = '';
const write = process.stderr.write.bind(process.stderr);
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-cli-probe-'));
  useSlideEmbedder(colourEmbedder);
  process.stderr.write = ((s: string) => ((stderr += s), true)) as typeof process.stderr.write;
});
after(async () => {
  process.stderr.write = write;
  useSlideEmbedder(null);
  await rm(dir, { recursive: true, force: true });
});

test('tessera probe train + heatmap on CMU-1-Small-Region.svs', { skip: skipWithoutShared }, async () => {
  const geojson = join(dir, 'cmu1.geojson');
  await writeFile(geojson, JSON.stringify(annotations));
  const probePath = join(dir, 'probe.json');
  assert.equal(await main(['probe', 'train', '--slide', slide, '--annotations', geojson, '--mpp', '0.5,1', '--out', probePath]), 0, stderr);
  const probe = JSON.parse(await readFile(probePath, 'utf8'));
  assert.deepEqual(probe.classes.map((c: { name: string }) => c.name), ['Tissue', 'Background']);
  assert.deepEqual(probe.magnifications, [0.5, 1]);
  assert.equal(probe.dim, 12, 'two magnifications concatenated');
  assert.equal(probe.metrics.crossValidation.folds, 4);
  assert.ok(probe.metrics.crossValidation.macroAuroc > 0.95, JSON.stringify(probe.metrics.crossValidation.macroAuroc));
  assert.deepEqual(probe.training.slides[0].annotationIds.sort(), ['b1', 'b2', 't1', 't2']);
  assert.equal(await main(['probe', 'train', '--slide', slide, '--annotations', geojson, '--out', probePath]), 1, 'no overwrite without --force');
  assert.match(stderr, /already exists/);

  for (const ext of ['png', 'csv', 'geojson', 'html', 'tif']) {
    const out = join(dir, `heat.${ext}`);
    assert.equal(await main(['heatmap', slide, '--probe', probePath, '--all-tissue', '--class', 'Tissue', '--out', out]), 0, stderr);
  }
  assert.match(stderr, /embedding \d+\/\d+ patches/);
  const csv = (await readFile(join(dir, 'heat.csv'), 'utf8')).trim().split('\n');
  assert.equal(csv[0], 'slide,mpp,x,y,size,Tissue,Background');
  const rows = csv.slice(1).map((l) => l.split(','));
  const at = (x: number, y: number) => rows.find((r) => Number(r[2]) <= x && x < Number(r[2]) + Number(r[4]) && Number(r[3]) <= y && y < Number(r[3]) + Number(r[4]));
  assert.ok(Number(at(1000, 2000)![5]) > 0.5, 'tissue patch');
  assert.ok(Number(at(300, 300)![5]) < 0.5, 'glass patch');
  const png = await sharp(join(dir, 'heat.png')).metadata();
  assert.deepEqual([png.width, png.height], [Math.ceil(2220 / (224.4489 / 4)), Math.ceil(2967 / (224.4489 / 4))]);
  const regions = JSON.parse(await readFile(join(dir, 'heat.geojson'), 'utf8'));
  assert.ok(regions.features.length >= 1);

  // The probe refuses embeddings of another encoder.
  await writeFile(probePath, JSON.stringify({ ...probe, encoder: { modelId: 'other-encoder', checksum: null } }));
  stderr = '';
  assert.equal(await main(['heatmap', slide, '--probe', probePath, '--out', join(dir, 'x.png')]), 1);
  assert.match(stderr, /trained on encoder "other-encoder"/);
});
