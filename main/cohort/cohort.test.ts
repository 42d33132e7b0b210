// `tessera cohort embed|heatmap|status` end to end on the real slides (CMU SVS, the JPEG 2000 TCGA SVS, the
// DICOM folder), the built-in sample and a copy of CMU under another id, with the built-in encoder at 2 µm/px.
import assert from 'node:assert/strict';
import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { ensureSampleSlide } from '../sample/sample-slide.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { runCli } from '../cli/testing/run-cli.js';
import type { EmbedRecord, HeatmapRecord } from './cohort-files.js';
import type { CohortStatus } from './cohort-status.js';
import { parseCsv } from './csv.js';
import { readH5, readJson, spawnCli, writeCohortManifest, writeSyntheticProbe } from './testing/cohort-fixtures.js';

const root = tempDir('cohort');
const dataDir = join(root, 'data');
let manifest = '';
let ids: string[] = [];

before(async () => {
  if (skipWithoutShared) return;
  const sample = await ensureSampleSlide(); // from the usual data folder; models and cache in a fresh one
  process.env.TESSERA_DATA_DIR = dataDir;
  process.env.TESSERA_EP = 'cpu';
  ({ path: manifest, ids } = await writeCohortManifest(root, sample, [['no-such-slide.svs', 'broken', 'x', '']]));
});

/** Every file under `dir`, relative. */
async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

test(
  'cohort embed: one HDF5 per slide, identical to `tessera embed`; failures recorded; rerun skips; missing or corrupt outputs redone; status; heatmap summary',
  { skip: skipWithoutShared },
  async () => {
    const out = join(root, 'out');
    const slides = ids.filter((id) => id !== 'broken');
    const first = await runCli(['cohort', 'embed', manifest, '--out', out, '--mpp', '2']);
    assert.equal(first.code, 1, 'exit 1: one slide failed');
    for (const id of slides) assert.match(first.stdout, new RegExp(`^done ${id}: \\d+ patches`, 'm'));
    assert.match(first.stdout, /^failed broken: .*no-such-slide/m);
    assert.match(first.stderr, /ETA/);
    const outFiles = await files(out);
    assert.deepEqual(
      outFiles.filter((f) => f.startsWith('features/')),
      slides.map((id) => `features/${id}.h5`).sort(),
    );
    assert.ok(
      !outFiles.some((f) => f.endsWith('.tmp') || f.endsWith('.lock')),
      `no temporary files or locks left: ${outFiles.join(', ')}`,
    );

    // Records: done with encoder, checksum, version, settings, patches, seconds; failed with the message.
    const rec = await readJson<EmbedRecord>(join(out, 'status', 'CMU-1-Small-Region.json'));
    assert.equal(rec.state, 'done');
    assert.equal(rec.encoder.id, 'tessera-stain-texture-v1');
    assert.match(rec.encoder.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.deepEqual(rec.settings, { mpps: [2], format: 'h5' });
    assert.ok(rec.patches > 0 && rec.seconds >= 0 && rec.tesseraVersion);
    const bad = await readJson<EmbedRecord>(join(out, 'status', 'broken.json'));
    assert.equal(bad.state, 'failed');
    assert.match(bad.error ?? '', /no-such-slide/);

    // Same features as a single `tessera embed` of the slide; the copy of CMU gives the same features as CMU.
    const single = join(root, 'single-cmu.h5');
    assert.equal(
      (await runCli(['embed', shared('data', 'slides', 'CMU-1-Small-Region.svs'), '--mpp', '2', '--out', single])).code,
      0,
    );
    const a = await readH5(single);
    const b = await readH5(join(out, 'features', 'CMU-1-Small-Region.h5'));
    assert.deepEqual(b.coords, a.coords);
    assert.deepEqual(b.features, a.features);
    assert.equal(b.attrs.model_id, a.attrs.model_id);
    assert.equal(b.coords.length / 2, rec.patches);
    assert.deepEqual((await readH5(join(out, 'features', 'cmu_copy.h5'))).features, a.features);

    // Rerun: every done slide skipped, the failed one tried again.
    const again = await runCli(['cohort', 'embed', manifest, '--out', out, '--mpp', '2', '--quiet']);
    assert.equal(again.code, 1);
    for (const id of slides) assert.match(again.stdout, new RegExp(`^skipped ${id}: already done`, 'm'));
    assert.equal(again.stderr, '', '--quiet: nothing on stderr');
    // Another mpp is other settings: not skipped (checked without running it: the record compares settings).

    // Output missing or unreadable: redone whatever the record says.
    await rm(join(out, 'features', 'sample.h5'));
    await truncate(join(out, 'features', 'dicom-CMU-1-Small-Region.h5'), 100);
    const repaired = await runCli(['cohort', 'embed', manifest, '--out', out, '--mpp', '2', '--quiet']);
    assert.match(repaired.stdout, /^done sample:/m);
    assert.match(repaired.stdout, /^done dicom-CMU-1-Small-Region:/m);
    assert.match(repaired.stdout, /^skipped CMU-1-Small-Region:/m);
    assert.ok((await readH5(join(out, 'features', 'dicom-CMU-1-Small-Region.h5'))).coords.length > 0);

    // Status: counts and failures.
    const status = await runCli(['cohort', 'status', out, '--json']);
    assert.equal(status.code, 0);
    const s = JSON.parse(status.stdout) as CohortStatus;
    assert.equal(s.embed?.done, 5);
    assert.equal(s.embed?.failed, 1);
    assert.equal(s.embed?.pending, 0);
    assert.equal(s.embed?.failures[0].id, 'broken');
    assert.match(
      (await runCli(['cohort', 'status', out])).stdout,
      /embed: 5 done, 1 failed, 0 pending\n {2}failed broken/,
    );

    // Heatmap: regions + per-patch CSV per slide, summary with the manifest's columns; embeddings from the cache.
    const probe = join(root, 'probe.json');
    await writeSyntheticProbe(probe);
    const h = await runCli([
      'cohort',
      'heatmap',
      manifest,
      '--probe',
      probe,
      '--out',
      out,
      '--threshold',
      '0.5',
      '--quiet',
    ]);
    assert.equal(h.code, 1, h.stdout + h.stderr);
    for (const id of slides) {
      const regions = JSON.parse(await readFile(join(out, 'heatmap', 'regions', `${id}.geojson`), 'utf8')) as {
        type: string;
      };
      assert.equal(regions.type, 'FeatureCollection');
      const csv = parseCsv(await readFile(join(out, 'heatmap', 'patches', `${id}.csv`), 'utf8'));
      assert.deepEqual(csv[0], ['slide', 'mpp', 'x', 'y', 'size', 'Tumour', 'Normal']);
      const hr = await readJson<HeatmapRecord>(join(out, 'heatmap', 'status', `${id}.json`));
      assert.equal(csv.length - 1, hr.stats?.patchCount);
    }
    const summary = parseCsv(await readFile(join(out, 'summary.csv'), 'utf8'));
    const header = summary[0];
    assert.deepEqual(header.slice(0, 7), [
      'id',
      'slide',
      'status',
      'error',
      'tissue_area_mm2',
      'patch_count',
      'threshold',
    ]);
    for (const c of [
      'Tumour_area_mm2',
      'Tumour_fraction',
      'Tumour_max',
      'Tumour_mean',
      'Normal_area_mm2',
      'diagnosis',
      'note, with comma',
    ])
      assert.ok(header.includes(c), c);
    const row = (id: string) => Object.fromEntries(header.map((k, i) => [k, summary.find((r) => r[0] === id)![i]]));
    const cmu = row('CMU-1-Small-Region');
    assert.equal(cmu.status, 'done');
    assert.equal(cmu.diagnosis, 'tumour');
    assert.equal(cmu['note, with comma'], 'said "small"');
    assert.equal(row('dicom-CMU-1-Small-Region')['note, with comma'], 'DICOM\nfolder');
    assert.ok(Number(cmu.tissue_area_mm2) > 0);
    const fT = Number(cmu.Tumour_fraction);
    const fN = Number(cmu.Normal_fraction);
    assert.ok(fT >= 0 && fT <= 1 && Math.abs(fT + fN - 1) < 0.5, 'two-class fractions');
    assert.ok(Number(cmu.Tumour_max) >= Number(cmu.Tumour_mean));
    assert.equal(row('broken').status, 'failed');
    assert.equal(summary.length, 1 + ids.length);
    // The same slide as CMU (the copy) gives the same numbers.
    assert.equal(row('cmu_copy').Tumour_mean, cmu.Tumour_mean);

    // Rerun skips; status rebuilds a deleted summary from the records.
    assert.match(
      (await runCli(['cohort', 'heatmap', manifest, '--probe', probe, '--out', out, '--quiet'])).stdout,
      /^skipped sample: already done/m,
    );
    await rm(join(out, 'summary.csv'));
    await runCli(['cohort', 'status', out]);
    assert.deepEqual(parseCsv(await readFile(join(out, 'summary.csv'), 'utf8')), summary);
  },
);

test(
  'two processes on the same manifest and cache: every slide done exactly once, no partial files',
  { skip: skipWithoutShared },
  async () => {
    const out = join(root, 'concurrent');
    const env = { ...process.env, TESSERA_DATA_DIR: join(root, 'data-concurrent'), TESSERA_EP: 'cpu' };
    const m = join(root, 'manifest-ok.csv');
    const text = await readFile(manifest, 'utf8');
    await writeFile(
      m,
      text
        .split('\n')
        .filter((l) => !l.includes('no-such-slide'))
        .join('\n'),
    );
    const runs = await Promise.all([0, 1].map(() => spawnCli(['cohort', 'embed', m, '--out', out, '--mpp', '2'], env)));
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const slides = ids.filter((id) => id !== 'broken');
    const doneBy = runs.map((r) => [...r.stdout.matchAll(/^done (\S+):/gm)].map((x) => x[1]));
    assert.deepEqual(
      [...doneBy[0], ...doneBy[1]].sort(),
      [...slides].sort(),
      `each slide done once: ${JSON.stringify(doneBy)}`,
    );
    const all = await files(out);
    assert.ok(!all.some((f) => f.endsWith('.tmp') || f.includes('/.') || f.endsWith('.lock')), all.join(', '));
    const pids = new Set<number>();
    for (const id of slides) {
      const r = await readJson<EmbedRecord>(join(out, 'status', `${id}.json`));
      assert.equal(r.state, 'done');
      pids.add(r.pid);
      assert.equal((await readH5(join(out, 'features', `${id}.h5`))).coords.length / 2, r.patches);
    }
    // Same features as the single-process run (test above) where it ran.
    if (await readdir(join(root, 'out', 'features')).catch(() => undefined)) {
      for (const id of slides)
        assert.deepEqual(
          (await readH5(join(out, 'features', `${id}.h5`))).features,
          (await readH5(join(root, 'out', 'features', `${id}.h5`))).features,
          id,
        );
    }
    // A third run finds everything done.
    const third = await spawnCli(['cohort', 'embed', m, '--out', out, '--mpp', '2', '--quiet'], env);
    assert.equal([...third.stdout.matchAll(/^skipped /gm)].length, slides.length);
  },
);
