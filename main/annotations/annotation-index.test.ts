import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnnotationIndex } from './annotation-index.js';
import type { Annotation } from './annotation-model.js';
import { geometryAreaMm2 } from './geometry.js';

test('index: viewport search, hit-testing smallest-first, holes, points within tolerance', () => {
  const a: Annotation[] = [
    { id: 'big', className: 'Stroma', geometry: { type: 'rectangle', x: 0, y: 0, width: 1000, height: 1000 } },
    { id: 'donut', className: 'Tumour', geometry: { type: 'polygon', rings: [[[100, 100], [300, 100], [300, 300], [100, 300]], [[150, 150], [250, 150], [250, 250], [150, 250]]] } },
    { id: 'dot', className: 'Normal', geometry: { type: 'point', x: 120, y: 120 } },
  ];
  const index = new AnnotationIndex(a);
  assert.deepEqual(index.hitTest(110, 110).map((x) => x.id), ['donut', 'big']);
  assert.deepEqual(index.hitTest(200, 200).map((x) => x.id), ['big'], 'the hole is not inside the donut');
  assert.deepEqual(index.hitTest(122, 121, 3).map((x) => x.id), ['dot', 'donut', 'big']);
  assert.deepEqual(index.search({ minX: 2000, minY: 0, maxX: 3000, maxY: 10 }), []);
  assert.equal(index.search({ minX: 290, minY: 290, maxX: 400, maxY: 400 }).length, 2);
  index.remove('big');
  assert.deepEqual(index.hitTest(110, 110).map((x) => x.id), ['donut']);
});

test('area in mm²: holes subtracted, scaled by mpp', () => {
  const g = { type: 'polygon' as const, rings: [[[0, 0], [2000, 0], [2000, 2000], [0, 2000]] as [number, number][], [[0, 0], [1000, 0], [1000, 1000], [0, 1000]] as [number, number][]] };
  assert.equal(geometryAreaMm2(g, { x: 0.5, y: 0.5 }), 0.75);
  assert.equal(geometryAreaMm2({ type: 'rectangle', x: 0, y: 0, width: 4000, height: 2000 }, { x: 0.25, y: 0.25 }), 0.5);
});

test('index: 150k annotations load and answer viewport queries (figures: bench/probe.bench.ts)', () => {
  const many: Annotation[] = [];
  for (let i = 0; i < 150_000; i++) {
    const x = (i % 400) * 250;
    const y = Math.floor(i / 400) * 250;
    many.push({ id: String(i), className: 'Tumour', geometry: { type: 'rectangle', x, y, width: 200, height: 200 } });
  }
  const t0 = performance.now();
  const index = new AnnotationIndex(many);
  const t1 = performance.now();
  let hits = 0;
  for (let q = 0; q < 1000; q++) hits += index.search({ minX: q * 50, minY: q * 40, maxX: q * 50 + 2000, maxY: q * 40 + 1500 }).length;
  const t2 = performance.now();
  assert.ok(hits > 0);
  assert.equal(index.hitTest(260, 260)[0].id, '401');
  // Loose bounds: the suite shares two cores with others; the bench prints the real figures.
  assert.ok(t1 - t0 < 15_000, `bulk load ${t1 - t0} ms`);
  assert.ok((t2 - t1) / 1000 < 25, `viewport query ${(t2 - t1) / 1000} ms`);
});
