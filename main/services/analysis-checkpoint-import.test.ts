// Importing a timm checkpoint through the analysis services (the app's "Import model…"): the proposed
// manifest carries the checkpoint's provenance, the preview takes a known model and a precision, the import
// converts in a worker with the form's fields (progress as events, the services answering meanwhile, one
// import at a time), and the model is listed with its architecture and can be used.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ModelImportProgress, TesseraEvent } from '../contracts/tessera-api.js';
import { defaultEncoderId } from '../encoder/default-encoder-model.js';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { AnalysisService } from './analysis-service.js';
import { ApiError } from './api-error.js';
import { SlideService } from './slide-service.js';
import { inMemoryBackend } from './testing/in-memory-backend.js';

const dataDir = tempDir('checkpoint-service');
const snapshot = shared('models', 'checkpoints', 'timm-vit-s16');
let slides: SlideService;
let analysis: AnalysisService;
const events: TesseraEvent[] = [];

before(() => {
  process.env.TESSERA_DATA_DIR = dataDir;
  process.env.TESSERA_EP = 'cpu';
  slides = new SlideService(inMemoryBackend(join(dataDir, 'none.tiff')));
  slides.onEvent((e) => events.push(e));
  analysis = new AnalysisService({ slides, dataDir });
});
after(async () => {
  await analysis.close();
  await slides.closeAll();
});

const rejectsWith = (p: Promise<unknown>, code: string, message?: RegExp) =>
  assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ApiError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });

test('a checkpoint folder is proposed and previewed with its provenance', { skip: skipWithoutShared }, async () => {
  const draft = await analysis.proposeModelManifest(snapshot);
  assert.equal(draft.id, 'timm-vit-s16');
  assert.equal(draft.output.dim, 96);
  assert.equal(draft.sha256, '');
  assert.match(draft.checkpoint?.architecture ?? '', /^ViT 2×96, 3 heads/);
  assert.equal(draft.checkpoint?.preset, null);

  const preview = await analysis.inspectModelCheckpoint({ path: snapshot, weights: 'float16' });
  assert.equal(preview.weightsFile, join(snapshot, 'model.safetensors'));
  assert.equal(preview.configFile, join(snapshot, 'config.json'));
  assert.ok(preview.sizeBytes > 1_000_000);
  assert.equal(preview.manifest.checkpoint.weights, 'float16');
  assert.ok(preview.manifest.checkpoint.parameters > 300_000);
  assert.match(preview.manifest.licence, /unknown/);
  assert.ok(preview.presets.some((p) => p.id === 'uni'));
  const asUni = await analysis.inspectModelCheckpoint({ path: snapshot, preset: 'uni' });
  assert.equal(asUni.manifest.checkpoint.preset, 'uni');
  assert.equal(asUni.manifest.checkpoint.nonCommercial, true);

  await rejectsWith(
    analysis.inspectModelCheckpoint({ path: snapshot, preset: 'nope' }),
    'invalid-argument',
    /known model/,
  );
  await rejectsWith(
    analysis.inspectModelCheckpoint({ path: snapshot, weights: 'int8' }),
    'invalid-argument',
    /float16/,
  );
  await rejectsWith(analysis.inspectModelCheckpoint({ path: 'relative' }), 'invalid-argument', /full path/);
  await rejectsWith(
    analysis.inspectModelCheckpoint({ path: join(dataDir, 'missing.onnx') }),
    'unsupported-format',
    /snapshot folder/,
  );
  await rejectsWith(
    analysis.inspectModelCheckpoint({ path: join(dataDir, 'missing.safetensors') }),
    'unsupported-format',
    /Could not read .*missing\.safetensors/,
  );
});

test(
  'imports a checkpoint in a worker with the edited fields, reporting progress; the services answer meanwhile',
  { skip: skipWithoutShared },
  async () => {
    const draft = await analysis.proposeModelManifest(snapshot);
    const manifest = { ...draft, id: 'vit-s16-e2e', name: 'ViT-S16 (test)', magnifications: [2], licence: 'test only' };
    events.length = 0;
    // The event loop keeps turning: the largest gap between 10 ms ticks while converting.
    let lag = 0;
    let tick = Date.now();
    const timer = setInterval(() => {
      lag = Math.max(lag, Date.now() - tick);
      tick = Date.now();
    }, 10);
    let settled = false;
    const importing = analysis
      .importModel({ path: snapshot, manifest, weights: 'float16' })
      .finally(() => (settled = true));
    try {
      await rejectsWith(analysis.importModel({ path: snapshot, manifest }), 'busy', /being imported/);
      const list = await analysis.listModels();
      assert.equal(settled, false, 'the list answered while the conversion ran');
      assert.equal(list.activeId, defaultEncoderId);
      const summary = await importing;
      assert.deepEqual(
        [summary.id, summary.name, summary.dim, summary.licence, summary.active, summary.origin],
        ['vit-s16-e2e', 'ViT-S16 (test)', 96, 'test only', false, 'user'],
      );
      assert.deepEqual(summary.magnifications, [2]);
      assert.match(summary.checkpoint?.architecture ?? '', /^ViT 2×96/);
      assert.equal(summary.checkpoint?.weights, 'float16');
      assert.match(summary.sha256, /^[0-9a-f]{64}$/);
    } finally {
      clearInterval(timer);
    }
    assert.ok(lag < 500, `event loop stalled ${lag} ms`);
    const progress = events.flatMap((e) =>
      e.type === 'model-import-progress' && e.path === snapshot ? [e.progress] : [],
    );
    const phases = progress.map((p: ModelImportProgress) => p.phase).filter((p, i, a) => p !== a[i - 1]);
    assert.deepEqual(phases, ['reading', 'converting', 'verifying', 'done']);
    const converting = progress.filter((p) => p.phase === 'converting');
    assert.equal(converting.at(-1)!.done, converting.at(-1)!.total, 'the weights were all written');

    // The same id again is refused unless replaced; the model is listed and usable.
    await rejectsWith(analysis.importModel({ path: snapshot, manifest }), 'already-exists', /already imported/);
    const listed = (await analysis.listModels()).models.find((m) => m.id === 'vit-s16-e2e');
    assert.equal(listed?.checkpoint?.preset, null);
    const status = await analysis.selectModel('vit-s16-e2e');
    assert.deepEqual([status.modelId, status.baseline], ['vit-s16-e2e', false]);
    await rejectsWith(analysis.importModel({ path: snapshot, manifest, replace: true }), 'busy', /encoder in use/);
    assert.equal((await analysis.selectModel(defaultEncoderId)).modelId, defaultEncoderId);
    const replaced = await analysis.importModel({
      path: snapshot,
      manifest: { ...manifest, name: 'ViT-S16 (again)' },
      replace: true,
    });
    assert.equal(replaced.name, 'ViT-S16 (again)');
    assert.equal(replaced.checkpoint?.weights, 'float32');
  },
);
