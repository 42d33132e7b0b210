// A probe trained on one slide is offered on another but never applied there unasked: the active probe is
// per slide. A heatmap names its probe, the slide(s) it was trained on, and what it assumed.
import assert from 'node:assert/strict';
import { appendFile, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { SAMPLE_TRAINING_ANNOTATIONS } from '../heatmap/testing/sample-heatmap-quality.js';
import { ensureSampleSlide } from '../sample/sample-slide.js';
import { AnalysisService } from './analysis-service.js';
import { createDefaultSlideBackend } from './default-slide-backend.js';
import { SlideService } from './slide-service.js';

const dataDir = tempDir('active-probe');
let slides: SlideService;
let analysis: AnalysisService;
let sampleId = '';
let otherId = '';

before(async () => {
  const sample = await ensureSampleSlide();
  // Another slide: the sample's pixels in a file of other content (a trailing byte), so another fingerprint.
  const other = join(dataDir, 'other-slide.tiff');
  await copyFile(sample, other);
  await appendFile(other, Buffer.from([0]));
  process.env.TESSERA_DATA_DIR = dataDir;
  process.env.TESSERA_EP = 'cpu';
  slides = new SlideService(createDefaultSlideBackend());
  analysis = new AnalysisService({ slides, dataDir, autosaveDelayMs: 10 });
  sampleId = (await slides.open(sample)).id;
  otherId = (await slides.open(other)).id;
});
after(async () => {
  await analysis.close();
  await slides.closeAll();
});

test('a probe trained on the sample is offered on another slide but applied there only when chosen', async () => {
  const a = await analysis.annotations(sampleId);
  for (const ann of SAMPLE_TRAINING_ANNOTATIONS) a.add(ann.className, ann.geometry);
  const probe = await analysis.trainProbe({ slideId: sampleId, mpps: [1] });
  assert.deepEqual(analysis.getActiveProbe(sampleId), { slideId: sampleId, probeId: probe.id }, 'training chooses it on its slide');
  assert.deepEqual(probe.trainedOn.map((t) => t.name), ['tessera-sample-he-v1.tiff']);

  // The other slide: offered (listed), not applied.
  assert.ok((await analysis.listProbes()).some((p) => p.id === probe.id));
  assert.deepEqual(analysis.getActiveProbe(otherId), { slideId: otherId, probeId: null });

  // Its own heatmap names the probe and its slide.
  const own = await analysis.heatmap({ slideId: sampleId, probeId: probe.id });
  assert.equal(own.probe.name, probe.name);
  assert.deepEqual(own.probe.trainedOn, ['tessera-sample-he-v1.tiff']);
  assert.equal(own.probe.trainedOnThisSlide, true);
  assert.deepEqual(own.assumptions, []);
  assert.ok(own.tissue && own.tissue.width > 0, 'the tissue mask comes with the raster');
  assert.ok(Buffer.from(own.tissue.values, 'base64').some((v) => v === 0), 'glass is masked out');
  assert.equal(own.cellSize, 448, 'patches every half patch (896 level-0 px at 1 µm/px on 0.25 µm/px)');
  assert.equal(own.cellOffset, 224);

  // Chosen on the other slide: applied there, and the heatmap says it comes from another slide.
  assert.deepEqual(await analysis.setActiveProbe({ slideId: otherId, probeId: probe.id }), { slideId: otherId, probeId: probe.id });
  const there = await analysis.heatmap({ slideId: otherId, probeId: probe.id });
  assert.equal(there.probe.trainedOnThisSlide, false);
  assert.ok(there.assumptions.some((s) => /another slide.*tessera-sample-he-v1\.tiff/.test(s)), there.assumptions.join('; '));

  // Switching it off on one slide leaves the other's choice.
  await analysis.setActiveProbe({ slideId: otherId, probeId: null });
  assert.equal(analysis.getActiveProbe(otherId).probeId, null);
  assert.equal(analysis.getActiveProbe(sampleId).probeId, probe.id);

  // The HTML report of the other slide lists the assumption.
  const html = join(dataDir, 'report.html');
  await analysis.exportHeatmap({ slideId: otherId, probeId: probe.id, format: 'html', path: html });
  const { readFile } = await import('node:fs/promises');
  const text = await readFile(html, 'utf8');
  assert.match(text, /<h2>Assumptions<\/h2>/);
  assert.match(text, /Probe from another slide/);
  assert.match(text, /tessera-sample-he-v1\.tiff/);
});
