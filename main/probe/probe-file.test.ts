// The probe file round-trips through its schema; a damaged one is a ProbeFileError that names the field.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fitProbe } from './fit-probe.js';
import { parseProbeFile, probeFileFrom, ProbeFileError, readProbeFile, writeProbeFile, type ProbeFile } from './probe-file.js';
import { syntheticBlobs } from './testing/synthetic-blobs.js';

function trainedProbe(): ProbeFile {
  const { x, labels } = syntheticBlobs(300, 8, 3, 1.5, 7);
  const groups = Int32Array.from({ length: 300 }, (_, i) => Math.floor(i / 20) * 3 + (i % 3));
  const fitted = fitProbe({ x, n: 300, dim: 8, labels, groups, classNames: ['Tumour', 'Stroma', 'Normal'] });
  return probeFileFrom(fitted, {
    encoder: { modelId: 'stain-texture', checksum: 'a'.repeat(64) },
    magnifications: [1],
    classes: [{ name: 'Tumour', colour: [200, 0, 0] }, { name: 'Stroma', colour: [0, 0, 200] }, { name: 'Normal', colour: [0, 160, 60] }],
    perClassCount: [100, 100, 100],
    regions: [{ slideFingerprint: 'fp', annotationId: 'a1' }],
    warnings: [],
    slideNames: { fp: 'CMU-1.svs' },
    stride: 112,
  });
}

test('a trained probe is written and read back unchanged', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-probe-file-'));
  try {
    const probe = trainedProbe();
    const path = join(dir, 'p.json');
    await writeProbeFile(path, probe);
    assert.deepEqual(await readProbeFile(path), JSON.parse(await readFile(path, 'utf8')));
    assert.deepEqual((await readProbeFile(path)).weights, probe.weights);
    // The display name the app's probe library gives a probe survives the round trip.
    await writeProbeFile(join(dir, 'named.json'), { ...probe, name: 'Colleague probe' });
    assert.equal((await readProbeFile(join(dir, 'named.json'))).name, 'Colleague probe');
    // An older file without a checksum reads as checksum null.
    const older = JSON.parse(await readFile(path, 'utf8'));
    delete older.encoder.checksum;
    assert.equal(parseProbeFile(JSON.stringify(older)).encoder.checksum, null);
    // A NaN weight would be written as null and the file could not be read: refused before writing.
    const broken = { ...probe, weights: probe.weights.map((w, k) => (k === 1 ? w.map((v, j) => (j === 2 ? NaN : v)) : w)) };
    await assert.rejects(writeProbeFile(join(dir, 'nan.json'), broken), (err: unknown) => err instanceof ProbeFileError && /weights\[1\]\[2\] must be a finite number/.test(err.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a damaged probe file is a ProbeFileError naming the field', () => {
  const text = JSON.stringify(trainedProbe());
  const damaged = (change: (p: ReturnType<typeof JSON.parse>) => void): string => {
    const p = JSON.parse(text);
    change(p);
    return JSON.stringify(p);
  };
  const cases: [string, RegExp][] = [
    ['{', /^p\.json is not JSON/],
    [JSON.stringify({ format: 'other' }), /^p\.json is not a Tessera probe$/],
    [damaged((p) => (p.version = 2)), /^p\.json has probe version 2; this Tessera reads 1$/],
    [damaged((p) => (p.standardisation.std[3] = 'x')), /^p\.json: standardisation\.std\[3\] must be a finite number$/],
    [damaged((p) => p.weights[0].pop()), /^p\.json: weights do not match 3 classes × 8 features$/],
    [damaged((p) => p.standardisation.mean.push(0)), /^p\.json: standardisation does not match 8 features$/],
    [damaged((p) => (p.encoder.modelId = '')), /^p\.json: encoder\.modelId must name the encoder model$/],
    [damaged((p) => (p.classes = p.classes.slice(0, 1))), /^p\.json: classes must list at least 2 classes$/],
    [damaged((p) => (p.classes[1].colour = [0, 0])), /^p\.json: classes\[1\]\.colour must be \[r, g, b\]/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseProbeFile(input, 'p.json'), (err: unknown) => err instanceof ProbeFileError && message.test(err.message), String(message));
  }
});
