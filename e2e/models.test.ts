// Models, probe files, annotation export and the whole-slide run through the UI of the browser host, on the
// built-in sample slide: a broken .onnx is refused with a clear error (the encoder unchanged); the ViT-S
// test model is imported with an edited name (after a manifest mismatch is refused), listed, selected (the
// status changes) and the baseline selected back; annotations are exported as QuPath GeoJSON and parsed; a
// colleague's probe file is loaded; a whole-slide run shows its progress, is cancelled, and runs to the end
// at the probe's coarse magnification. Isolated data dir; screenshots in test-output/e2e/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { SAMPLE_TUMOUR_REGIONS } from '../main/sample/sample-slide.js';
import { shared, skipWithoutShared } from '../main/testing/shared-data.js';
import { defaultEncoderId } from '../main/encoder/default-encoder-model.js';
import { skipWithoutChromium } from './support/chromium.js';
import { e2eShots as shots, startHostSession, type HostSession } from './support/host-session.js';
import { openAnalysisPanel } from './support/analysis-page.js';

// Page functions run in the browser; the Node project has no DOM library.
declare const document: any, localStorage: any;

const vit = shared('models', 'vits16-random.onnx');
const NORMAL_RECTS = [
  { x: 7200, y: 4400, width: 2000, height: 2000 },
  { x: 8600, y: 7000, width: 2000, height: 2000 },
];

describe('models, probe files and whole-slide runs in the browser host', { skip: skipWithoutChromium || skipWithoutShared }, () => {
  let session: HostSession;
  let page: Page;
  let tmp: string;
  let probeFile: string;
  let consoleErrors: string[] = [];

  before(async () => {
    session = await startHostSession({
      name: 'models',
      beforeLoad: async (p, host, dir) => {
        // A colleague's probe: trained through the services on ground-truth regions at a coarse 2 µm/px.
        const [slide] = await host.api.listSlides();
        for (const t of SAMPLE_TUMOUR_REGIONS)
          await host.api.addAnnotation({ slideId: slide.id, className: 'Tumour', geometry: { type: 'polygon', rings: [t.polygon.map(([x, y]) => [x, y])] } });
        for (const r of NORMAL_RECTS) await host.api.addAnnotation({ slideId: slide.id, className: 'Normal', geometry: { type: 'rectangle', ...r } });
        const trained = await host.api.trainProbe({ slideId: slide.id, mpps: [2], name: 'Colleague probe' });
        probeFile = join(dir, 'colleague-probe.json');
        copyFileSync(trained.path, probeFile);
        // Background embedding of the view would embed this small sample whole before the whole-slide run
        // starts, leaving that run nothing to do (and nothing to cancel): these tests drive embedding by hand.
        await p.addInitScript(() => localStorage.setItem('tessera.backgroundEmbedding', 'off'));
      },
    });
    ({ page, tmp, errors: consoleErrors } = session);
    await openAnalysisPanel(page, 'baseline-notice');
  });

  after(() => session?.close('models-zz-last.png'));

  const activeModel = () => page.getAttribute('[data-testid="encoder-status"]', 'data-model-id');
  const waitForActive = (id: string) =>
    page.waitForFunction((m) => document.querySelector('[data-testid="encoder-status"]')?.dataset.modelId === m, id, { timeout: 30_000 });

  async function openImport(path: string): Promise<void> {
    await page.click('[data-testid="import-model"]');
    await page.waitForSelector('[data-testid="model-import-dialog"]');
    await page.fill('[data-testid="model-path"]', path);
    await page.click('[data-testid="model-propose"]');
  }

  test('the Models section lists the baseline, active, with its badge and provider', async () => {
    await page.click('[data-testid="toggle-models"]');
    await page.waitForSelector('[data-testid="model-item"]');
    const items = await page.$$eval('[data-testid="model-item"]', (els: any[]) => els.map((e) => [e.dataset.modelId, e.dataset.active]));
    assert.deepEqual(items, [[defaultEncoderId, 'true']]);
    assert.equal(await page.locator('[data-testid="baseline-badge"]').count(), 1);
    assert.equal((await page.textContent('[data-testid="model-provider"]'))?.trim(), 'cpu');
    assert.equal(await activeModel(), defaultEncoderId);
  });

  test('a broken .onnx is refused with a clear error; the encoder in use is unchanged', async () => {
    const broken = join(tmp, 'broken.onnx');
    writeFileSync(broken, randomBytes(8192));
    await openImport(broken);
    const error = (await (await page.waitForSelector('[data-testid="model-import-error"]')).textContent()) ?? '';
    assert.match(error, /broken\.onnx is not a model onnxruntime can load/);
    await page.screenshot({ path: join(shots, 'models-01-broken.png') });
    await page.keyboard.press('Escape');
    await page.waitForSelector('[data-testid="model-import-dialog"]', { state: 'detached' });
    assert.equal(await activeModel(), defaultEncoderId);
    assert.equal(await page.locator('[data-testid="model-item"]').count(), 1);
  });

  test('imports the ViT-S model with an edited name, after a mismatched size is refused', async () => {
    await openImport(vit);
    await page.waitForSelector('[data-testid="model-manifest-form"]', { timeout: 30_000 });
    assert.equal(await page.inputValue('[data-testid="model-input-name"]'), 'pixels');
    assert.equal(await page.inputValue('[data-testid="model-input-size"]'), '224');
    assert.equal(await page.inputValue('[data-testid="model-output-name"]'), 'embedding');
    assert.equal(await page.inputValue('[data-testid="model-dim"]'), '384');
    assert.match((await page.textContent('[data-testid="model-sha256"]')) ?? '', /^[0-9a-f]{64}$/);
    await page.fill('[data-testid="model-name"]', 'ViT-S random (e2e)');
    await page.fill('[data-testid="model-mpps"]', '2');
    await page.fill('[data-testid="model-licence"]', 'test only');
    await page.fill('[data-testid="model-dim"]', '383');
    await page.click('[data-testid="model-import-submit"]');
    const error = (await (await page.waitForSelector('[data-testid="model-import-error"]', { timeout: 30_000 })).textContent()) ?? '';
    assert.match(error, /Could not import .*vits16-random\.onnx: .*"embedding" .*\[batch, 383\]/);
    await page.fill('[data-testid="model-dim"]', '384');
    await page.screenshot({ path: join(shots, 'models-02-manifest.png') });
    await page.click('[data-testid="model-import-submit"]');
    await page.waitForSelector('[data-testid="model-import-dialog"]', { state: 'detached', timeout: 30_000 });
    await page.waitForSelector('[data-testid="model-item"][data-model-id="vits16-random"]');
    assert.equal(await page.textContent('[data-testid="model-item"][data-model-id="vits16-random"] [data-testid="model-item-name"]'), 'ViT-S random (e2e)');
    assert.equal(await page.getAttribute('[data-testid="model-item"][data-model-id="vits16-random"]', 'data-active'), 'false');
    assert.equal(await activeModel(), defaultEncoderId, 'importing does not switch');
  });

  test('selects the imported model (the status changes), then the baseline back', async () => {
    await page.click('[data-testid="model-item"][data-model-id="vits16-random"] [data-testid="model-use"]');
    await waitForActive('vits16-random');
    assert.equal(await page.textContent('[data-testid="encoder-name"]'), 'ViT-S random (e2e)');
    assert.equal(await page.locator('[data-testid="baseline-notice"]').count(), 0);
    await page.waitForSelector('[data-testid="model-item"][data-model-id="vits16-random"][data-active="true"]');
    assert.equal((await page.textContent('[data-testid="encoder-provider"]'))?.trim(), 'cpu');
    // Probes are per model: the baseline's probe is not offered for the ViT.
    assert.equal(await page.locator('[data-testid="probe-select"]').count(), 0);
    await page.screenshot({ path: join(shots, 'models-03-selected.png') });
    await page.click(`[data-testid="model-item"][data-model-id="${defaultEncoderId}"] [data-testid="model-use"]`);
    await waitForActive(defaultEncoderId);
    await page.waitForSelector('[data-testid="baseline-notice"]');
    await page.waitForSelector('[data-testid="probe-select"]');
    await page.click('[data-testid="toggle-models"]');
  });

  test('exports the annotations as QuPath GeoJSON; an existing file is replaced only when confirmed', async () => {
    const out = join(tmp, 'annotations.geojson');
    await page.click('[data-testid="export-annotations"]');
    await page.fill('[data-testid="export-annotations-path"]', out);
    await page.click('[data-testid="export-annotations-submit"]');
    await page.waitForSelector('[data-testid="export-annotations-path"]', { state: 'detached' });
    const fc = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(fc.type, 'FeatureCollection');
    assert.equal(fc.features.length, SAMPLE_TUMOUR_REGIONS.length + NORMAL_RECTS.length);
    const classes = fc.features.map((f: { properties: { classification: { name: string; color: number[] } } }) => f.properties.classification);
    assert.deepEqual([...new Set(classes.map((c: { name: string }) => c.name))].sort(), ['Normal', 'Tumour']);
    for (const c of classes) assert.ok(Array.isArray(c.color) && c.color.length === 3, JSON.stringify(c));
    assert.equal(fc.features.find((f: { geometry: { type: string } }) => f.geometry.type === 'Polygon')?.geometry.coordinates[0].length > 3, true);

    writeFileSync(out, 'old');
    await page.click('[data-testid="export-annotations"]');
    await page.fill('[data-testid="export-annotations-path"]', out);
    await page.click('[data-testid="export-annotations-submit"]');
    await page.waitForSelector('[data-testid="export-annotations-confirm"]');
    assert.equal(await readFile(out, 'utf8'), 'old', 'not replaced before confirming');
    await page.click('[data-testid="export-annotations-replace"]');
    await page.waitForSelector('[data-testid="export-annotations-confirm"]', { state: 'detached' });
    assert.equal(JSON.parse(await readFile(out, 'utf8')).features.length, fc.features.length);
  });

  test('a whole-slide run shows its progress and stops on Cancel', async () => {
    await page.selectOption('[data-testid="probe-select"]', '');
    await page.click('[data-testid="tissue-run-start"]');
    await page.waitForFunction(
      () => {
        const e = document.querySelector('[data-testid="tissue-run-progress"]');
        return e && e.dataset.state === 'running' && Number(e.dataset.done) > 0 && Number(e.dataset.total) > Number(e.dataset.done);
      },
      undefined,
      { timeout: 60_000, polling: 100 },
    );
    await page.screenshot({ path: join(shots, 'models-04-tissue-run.png') });
    await page.click('[data-testid="tissue-run-cancel"]');
    await page.waitForSelector('[data-testid="tissue-run-progress"][data-state="cancelled"]', { timeout: 30_000 });
    const done = Number(await page.getAttribute('[data-testid="tissue-run-progress"]', 'data-done'));
    const total = Number(await page.getAttribute('[data-testid="tissue-run-progress"]', 'data-total'));
    assert.ok(done < total, `${done}/${total}`);
    assert.match((await page.textContent('[data-testid="tissue-run-progress"]')) ?? '', /cancelled/);
    assert.equal(await page.locator('[data-testid="tissue-run-cancel"]').count(), 0);
  });

  test("loads a colleague's probe file and runs it over all tissue at its magnification", async () => {
    const before = await page.locator('[data-testid="probe-select"] option').count();
    await page.click('[data-testid="load-probe"]');
    await page.fill('[data-testid="load-probe-path"]', probeFile);
    await page.click('[data-testid="load-probe-submit"]');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="probe-select"] option').length === n + 1, before);
    await page.waitForSelector('[data-testid="probe-metrics"]');
    const selected = await page.$eval('[data-testid="probe-select"]', (s: any) => s.selectedOptions[0].textContent);
    // The menu names where a probe was trained, so a probe from another slide is never mistaken for this one's.
    assert.equal(selected, 'Colleague probe (trained on tessera-sample-he-v1.tiff)');
    await page.click('[data-testid="tissue-run-start"]');
    await page.waitForSelector('[data-testid="tissue-run-progress"][data-state="done"]', { timeout: 60_000 });
    const done = Number(await page.getAttribute('[data-testid="tissue-run-progress"]', 'data-done'));
    const total = Number(await page.getAttribute('[data-testid="tissue-run-progress"]', 'data-total'));
    assert.ok(total > 10 && done === total, `${done}/${total}`);
    assert.match((await page.textContent('[data-testid="tissue-run"]')) ?? '', /2 µm\/px · probe/);
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid="heatmap-layer"]')?.dataset.scored) >= n, total, { timeout: 20_000 });
    await page.screenshot({ path: join(shots, 'models-05-whole-slide.png') });
  });

  test('the page logged no errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
