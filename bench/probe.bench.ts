// Probe and annotation figures: `node --import tsx bench/probe.bench.ts`. Prints, never asserts.
import { AnnotationIndex } from '../main/annotations/annotation-index.js';
import type { Annotation } from '../main/annotations/annotation-model.js';
import { fitProbe } from '../main/probe/fit-probe.js';
import { trainLogisticRegression } from '../main/probe/logistic-regression.js';
import { syntheticBlobs } from '../main/probe/testing/synthetic-blobs.js';

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
console.log(`annotation index, 150,000 polygons: bulk load ${loadMs.toFixed(0)} ms; viewport query (4000×3000 px, ~200 hits) ${(viewMs * 1000).toFixed(0)} µs; hit-test ${(hitMs * 1000).toFixed(1)} µs`);
