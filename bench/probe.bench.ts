// Probe and annotation figures: `node --import tsx bench/probe.bench.ts`. Prints, never asserts.
// With ../shared: linear probes on real patches, colour mean/std beside the built-in encoder.
import { AnnotationIndex } from '../main/annotations/annotation-index.js';
import type { Annotation } from '../main/annotations/annotation-model.js';
import { defaultEncoderId } from '../main/encoder/default-encoder-model.js';
import { EncoderSession } from '../main/encoder/encoder-session.js';
import { findModel } from '../main/encoder/model-registry.js';
import { linearProbeAuroc } from '../main/encoder/testing/linear-probe-auroc.js';
import { colourStats, listPcam, loadRgb } from '../main/encoder/testing/pcam.js';
import { tempDir } from '../main/encoder/testing/temp-dir.js';
import { fitProbe } from '../main/probe/fit-probe.js';
import { trainLogisticRegression } from '../main/probe/logistic-regression.js';
import { carcinomaSubtypesProbeInput, listLc25000Lung, lungProbeInput } from '../main/probe/testing/lc25000-lung.js';
import { syntheticBlobs } from '../main/probe/testing/synthetic-blobs.js';
import { hasShared } from '../main/testing/shared-data.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(runs: number, fn: () => unknown): number {
  const t: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return median(t);
}

const n = 10_000;
const d = 384;
const { x, labels } = syntheticBlobs(n, d, 3, 0.08, 7);
trainLogisticRegression(x, n, d, labels, 3); // warm-up (JIT)
let iterations = 0;
const trainMs = time(5, () => (iterations = trainLogisticRegression(x, n, d, labels, 3).summary.iterations));
console.log(`LR train 10,000 × 384 × 3 classes: ${trainMs.toFixed(0)} ms median of 5 (${iterations} L-BFGS iterations; target ≤ 200 ms)`);

const groups = Int32Array.from({ length: n }, (_, i) => Math.floor(i / 100));
const fit = fitProbe({ x, n, dim: d, labels, groups, classNames: ['Tumour', 'Stroma', 'Normal'] });
console.log(
  `fitProbe (standardise + 5-fold grouped CV + final fit): CV ${fit.timings.crossValidationMs.toFixed(0)} ms, final fit ${fit.timings.finalFitMs.toFixed(0)} ms; CV accuracy ${fit.crossValidation!.accuracy.toFixed(3)}, macro AUROC ${fit.crossValidation!.macroAuroc.toFixed(3)}`,
);

const many: Annotation[] = [];
for (let i = 0; i < 150_000; i++) {
  const cx = (i % 400) * 250 + 100;
  const cy = Math.floor(i / 400) * 250 + 100;
  const ring = Array.from({ length: 12 }, (_, k): [number, number] => [cx + 90 * Math.cos((k * Math.PI) / 6), cy + 90 * Math.sin((k * Math.PI) / 6)]);
  many.push({ id: String(i), className: 'Tumour', geometry: { type: 'polygon', rings: [ring] } });
}
let index = new AnnotationIndex();
const loadMs = time(3, () => (index = new AnnotationIndex(many)));
let hits = 0;
const viewMs = time(5, () => {
  for (let q = 0; q < 1000; q++) hits += index.search({ minX: (q * 97) % 90_000, minY: (q * 53) % 80_000, maxX: ((q * 97) % 90_000) + 4000, maxY: ((q * 53) % 80_000) + 3000 }).length;
}) / 1000;
const hitMs = time(5, () => {
  for (let q = 0; q < 10_000; q++) index.hitTest((q * 7919) % 100_000, (q * 104_729) % 93_750);
}) / 10_000;
console.log(`annotation index, 150,000 polygons: bulk load ${loadMs.toFixed(0)} ms; viewport query (4000×3000 px, ${(hits / 5000).toFixed(0)} hits on average) ${(viewMs * 1000).toFixed(0)} µs; hit-test ${(hitMs * 1000).toFixed(1)} µs`);

// Real patches: the same linear probes on colour mean/std (6 numbers) and on the built-in encoder's features.
async function realPatchFigures(): Promise<void> {
  if (!hasShared) {
    console.log('real patches: ../shared is absent, skipped');
    return;
  }
  const session = await EncoderSession.open(await findModel(defaultEncoderId, { user: tempDir('probe-bench') }), { providers: ['cpu'] });
  const D = session.model.output.dim;
  let encodeMs = 0;
  let encoded = 0;
  async function features(paths: string[]): Promise<{ enc: Float32Array; colour: Float32Array }> {
    const enc = new Float32Array(paths.length * D);
    const colour = new Float32Array(paths.length * 6);
    for (let i = 0; i < paths.length; i += 64) {
      const part = paths.slice(i, i + 64);
      const pixels = session.pixelBuffer(part.length);
      await Promise.all(
        part.map(async (p, k) => {
          pixels.set(await loadRgb(p, 224), k * 224 * 224 * 3);
          colour.set(colourStats(await loadRgb(p)), (i + k) * 6);
        }),
      );
      const t0 = performance.now();
      enc.set(await session.embed(pixels, part.length), i * D);
      encodeMs += performance.now() - t0;
      encoded += part.length;
    }
    return { enc, colour };
  }
  try {
    // PCam: train on `train`, measure on `valid` (different Camelyon16 slides).
    const [train, valid] = await Promise.all([listPcam('train'), listPcam('valid')]);
    const [tr, va] = [await features(train.paths), await features(valid.paths)];
    const pcamColour = linearProbeAuroc(tr.colour, train.labels, va.colour, valid.labels, 6);
    const pcamEnc = linearProbeAuroc(tr.enc, train.labels, va.enc, valid.labels, D);
    console.log(`PCam tumour, train (${train.paths.length}) → valid (${valid.paths.length}) AUROC: colour mean/std ${pcamColour.toFixed(3)}, ${defaultEncoderId} ${pcamEnc.toFixed(3)}`);

    // LC25000 lung: 5-fold CV grouped by near-duplicate group (never by image).
    const lung = await listLc25000Lung();
    const lc = await features(lung.paths);
    for (const [name, x, d] of [['colour mean/std', lc.colour, 6], [defaultEncoderId, lc.enc, D]] as const) {
      const cv = fitProbe(lungProbeInput(lung, x, d)).crossValidation!;
      const subtypes = fitProbe(carcinomaSubtypesProbeInput(lung, x, d)).crossValidation!;
      console.log(
        `LC25000 lung (${lung.paths.length} patches, ${lung.groupCount} groups), 5-fold CV by group, ${name}: benign-vs-rest AUROC ${cv.perClass[2].auroc.toFixed(3)}, ` +
          `3-class accuracy ${cv.accuracy.toFixed(3)}, macro AUROC ${cv.macroAuroc.toFixed(3)}; adenocarcinoma vs squamous AUROC ${subtypes.perClass[0].auroc.toFixed(3)}`,
      );
    }
    console.log(`${defaultEncoderId} on ${session.provider}: ${encoded} patches in ${(encodeMs / 1000).toFixed(1)} s (${(encodeMs / encoded).toFixed(1)} ms/patch, batches of 64)`);
  } finally {
    await session.close();
  }
}

await realPatchFigures();
