// Paths the user gives the analysis services (probe files, export targets): a folder or a null byte is a
// clear 4xx naming the problem, never a 500 with a system error code or a temporary file's name.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { ensureSampleSlide } from '../sample/sample-slide.js';
import { createDefaultSlideBackend } from './default-slide-backend.js';
import { AnalysisService } from './analysis-service.js';
import { SlideService } from './slide-service.js';
import { toApiError } from './api-error.js';

const dataDir = tempDir('analysis-paths');
let slides: SlideService;
let analysis: AnalysisService;
let slideId = '';

before(async () => {
  const sample = await ensureSampleSlide();
  process.env.TESSERA_DATA_DIR = dataDir;
  process.env.TESSERA_EP = 'cpu';
  slides = new SlideService(createDefaultSlideBackend());
  analysis = new AnalysisService({ slides, dataDir, autosaveDelayMs: 10 });
  slideId = (await slides.open(sample)).id;
});
after(async () => {
  await analysis.close();
  await slides.closeAll();
});

async function apiFailure(work: Promise<unknown>): Promise<{ code: string; message: string; status: number }> {
  try {
    await work;
  } catch (err) {
    return toApiError(err);
  }
  assert.fail('expected a rejection');
}

test('loadProbe on a folder is a 400 saying it is a folder, not a 500 EISDIR', async () => {
  const folder = join(dataDir, 'probes-folder');
  await mkdir(folder);
  const e = await apiFailure(analysis.loadProbe(folder));
  assert.equal(e.status, 400, e.message);
  assert.equal(e.code, 'invalid-argument');
  assert.match(e.message, /is a folder/);
  assert.match(e.message, /probe file/);
  assert.doesNotMatch(e.message, /EISDIR/);
});

test('a null byte in a path is a 400 naming it, for exports and probe files, without temporary file names', async () => {
  const bad = join(dataDir, 'heat\0map.png');
  for (const work of [
    (): Promise<unknown> => analysis.exportHeatmap({ slideId, probeId: 'none', format: 'png', path: bad }),
    (): Promise<unknown> => analysis.loadProbe(join(dataDir, 'probe\0.json')),
  ]) {
    const e = await apiFailure(Promise.resolve().then(work));
    assert.equal(e.status, 400, e.message);
    assert.equal(e.code, 'invalid-argument');
    assert.match(e.message, /null byte/);
    assert.doesNotMatch(e.message, /\.tmp|\0/);
  }
});
