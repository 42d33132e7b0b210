// Whole-cache search on real slides: CMU-1-Small-Region as Aperio SVS and as its DICOM conversion (two files,
// two fingerprints, the same tissue), both embedded into one cache by the built-in encoder. Searching the
// cache from the SVS must (1) give exactly findSimilar's answer over both slides (the exact path: the cache is
// the scope), (2) give the same hits and scores through the ANN index, and (3) find, for a query patch, its
// twin at the same place on the DICOM copy among the best matches.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { EmbeddingService } from '../encoder/embedding-service.js';
import { tempDir } from '../encoder/testing/temp-dir.js';
import { shared, skipWithoutShared } from '../testing/shared-data.js';
import { findInCache } from './find-in-cache.js';
import { findSimilar } from './find-similar.js';
import { runCli } from '../cli/testing/run-cli.js';

const svs = shared('data', 'slides', 'CMU-1-Small-Region.svs');
const dicom = shared('data', 'slides', 'dicom-CMU-1-Small-Region');

test('find in cache: exact over the whole cache = findSimilar over its slides; the index agrees; the DICOM twin is found', { skip: skipWithoutShared, timeout: 300_000 }, async () => {
  const data = tempDir('find-in-cache');
  process.env.TESSERA_DATA_DIR = data; // the CLI's cache is the same folder
  process.env.TESSERA_EP = 'cpu';
  const cacheDir = join(data, 'embeddings');
  const service = new EmbeddingService({ cacheDir, dataDir: null });
  let cliQuery: string | undefined;
  let cliMpp: string | undefined;
  try {
    const model = await service.useModel();
    const mpp = Math.min(...model.magnifications);
    const dicomFile = join(dicom, (await readdir(dicom)).filter((f) => f.endsWith('.dcm')).sort()[0]);
    const slides = [svs, dicomFile];
    for (const s of slides) await service.embed(s, { mpps: [mpp] });
    const [set] = await service.cached(svs, { mpps: [mpp] });
    const n = set.coords.length / 2;
    assert.ok(n > 20, `the SVS has tissue patches: ${n}`);
    const i = Math.floor(n / 2);
    const query = { x: set.coords[2 * i] + 10, y: set.coords[2 * i + 1] + 10 };
    cliQuery = `${query.x},${query.y}`;
    cliMpp = String(mpp);

    const viaSlides = await findSimilar(service, { slide: svs, slides: [dicomFile], query, mpp, top: 20 });
    const exact = await findInCache(service, { slide: svs, query, mpp, top: 20 });
    assert.equal(exact.cache.method, 'exact');
    assert.equal(exact.cache.slides, 2);
    assert.equal(exact.cache.patches, viaSlides.searched[0] + viaSlides.searched[1]);
    const fps = viaSlides.slideFingerprints;
    assert.deepEqual(
      exact.results.map((r) => `${r.slideFingerprint}/${r.x},${r.y} ${r.score.toFixed(5)}`),
      viaSlides.results.map((r) => `${fps[r.slide]}/${r.x},${r.y} ${r.score.toFixed(5)}`),
    );
    assert.ok(!exact.results.some((r) => r.slideFingerprint === fps[0] && r.x === set.coords[2 * i] && r.y === set.coords[2 * i + 1]), 'the query patch is not a result');

    const ann = await findInCache(service, { slide: svs, query, mpp, top: 20, exactUpTo: 0 });
    assert.equal(ann.cache.method, 'index');
    assert.equal(ann.cache.indexRebuilt, 'there was none');
    assert.equal(ann.cache.indexAdded, exact.cache.patches);
    const exactScore = new Map(exact.results.map((r) => [`${r.slideFingerprint}/${r.x},${r.y}`, r.score]));
    const common = ann.results.filter((r) => exactScore.has(`${r.slideFingerprint}/${r.x},${r.y}`));
    assert.ok(common.length >= 19, `recall@20 of the index on ${exact.cache.patches} patches: ${common.length}/20`);
    for (const r of common) assert.ok(Math.abs(r.score - exactScore.get(`${r.slideFingerprint}/${r.x},${r.y}`)!) < 1e-5, 'scores as the exact path');
    // Asked again: nothing new in the cache, nothing added.
    assert.equal((await findInCache(service, { slide: svs, query, mpp, top: 5, exactUpTo: 0 })).cache.indexAdded, 0);

    // The same tissue on the DICOM copy (re-encoded pixels): the twin patch ranks near the top.
    const twin = exact.results.findIndex((r) => r.slideFingerprint === fps[1] && r.x === set.coords[2 * i] && r.y === set.coords[2 * i + 1]);
    assert.ok(twin >= 0 && twin < 5, `the DICOM twin ranks ${twin}`);
  } finally {
    await service.close();
  }

  // The CLI: --scope cache, the same answer; a slide never seen by a search is named by its fingerprint, one
  // given with --slides by its file name.
  const cli = await runCli(['search', svs, '--query', cliQuery!, '--scope', 'cache', '--mpp', cliMpp!, '--top', '5']);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stderr, /searched \d+ patches of 2 cached slides \((exact|ANN index)/);
  const out = JSON.parse(cli.stdout) as { query: { slide: string }; results: { slide: string; score: number }[] };
  assert.equal(out.query.slide, 'CMU-1-Small-Region.svs');
  assert.equal(out.results.length, 5);
  const names = new Set(out.results.map((r) => r.slide));
  assert.ok([...names].every((s) => s === 'CMU-1-Small-Region.svs' || /^slide [0-9a-f]{12}$/.test(s)), [...names].join());
  assert.ok([...names].some((s) => s.startsWith('slide ')), 'the DICOM twin, never seen by a search, by its fingerprint');
  const dicomFile = join(dicom, (await readdir(dicom)).filter((f) => f.endsWith('.dcm')).sort()[0]);
  const named = await runCli(['search', svs, '--query', cliQuery!, '--scope', 'cache', '--slides', dicomFile, '--mpp', cliMpp!, '--top', '5']);
  assert.equal(named.code, 0, named.stderr);
  const out2 = JSON.parse(named.stdout) as { results: { slide: string; score: number }[] };
  assert.deepEqual(out2.results.map((r) => r.score), out.results.map((r) => r.score));
  assert.ok(out2.results.every((r) => r.slide === 'CMU-1-Small-Region.svs' || r.slide === basename(dicomFile)));
  assert.ok(out2.results.some((r) => r.slide === basename(dicomFile)));
});
