// The app side of "suggest what to label next": parameters checked, patches already labelled and dismissed
// ones left out (dismissals per slide, for the session), no probe → a clear error. (Which patches are least
// certain, on a real probe: search/uncertain-patches.test.ts; the whole flow in the viewer: e2e/search.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Annotation } from '../annotations/annotation-model.js';
import type { PatchProbabilities } from '../probe/apply-probe.js';
import { ApiError } from './api-error.js';
import { LabelSuggester } from './analysis-suggestions.js';

const side = 224;
/** A 10 × 10 grid; p(Tumour) rises left to right, so column 4–5 is where the probe is least sure. */
const grid: PatchProbabilities = {
  slideFingerprint: 'f',
  classNames: ['Tumour', 'Normal'],
  level0Size: side,
  mpp: 0.5,
  n: 100,
  coords: Int32Array.from({ length: 200 }, (_, k) => (k & 1 ? Math.floor((k >> 1) / 10) : (k >> 1) % 10) * side),
  probabilities: Float32Array.from({ length: 200 }, (_, k) => {
    const col = (k >> 1) % 10;
    const row = Math.floor((k >> 1) / 10);
    const p = 0.05 + 0.09 * col + 0.001 * row;
    return k & 1 ? 1 - p : p;
  }),
};

test('suggestLabels: least certain, minus labelled and dismissed patches; dismissals per slide; bad input refused', async () => {
  const annotations: Annotation[] = [];
  const probeOf = new Map<string, string | null>([['s1', 'p1'], ['s2', null]]);
  const asked: string[] = [];
  const suggester = new LabelSuggester({
    activeProbe: (id) => probeOf.get(id) ?? null,
    probabilities: async (id, probeId) => {
      asked.push(`${id}/${probeId}`);
      return grid;
    },
    annotations: async () => annotations,
  });
  const first = await suggester.suggest('s1', { count: 3 });
  assert.equal(first.probeId, 'p1');
  assert.deepEqual(asked, ['s1/p1']);
  assert.equal(first.suggestions.length, 3);
  assert.equal(first.scored, 100);
  assert.ok(first.suggestions.every((s) => s.x === 5 * side), 'column 5 (p ≈ 0.5) first');
  assert.equal(first.suggestions[0].mpp, 0.5);
  assert.ok(first.suggestions[0].margin < 0.02);

  // The user labels the first (a rectangle over it) and dismisses the second.
  const [a, b] = first.suggestions;
  annotations.push({ id: 'x', className: 'Tumour', geometry: { type: 'rectangle', x: a.x, y: a.y, width: side, height: side } } as Annotation);
  assert.deepEqual(suggester.dismiss('s1', { x: b.x, y: b.y }), { dismissed: 1 });
  const next = await suggester.suggest('s1', { count: 3 });
  const keys = next.suggestions.map((s) => `${s.x},${s.y}`);
  assert.ok(!keys.includes(`${a.x},${a.y}`) && !keys.includes(`${b.x},${b.y}`));
  assert.equal(next.labelled, 1);
  assert.equal(next.dismissed, 1);
  assert.equal(next.suggestions.length, 3);
  // Another slide's dismissals are its own; forgetting a closed slide clears them.
  probeOf.set('s2', 'p1');
  assert.equal((await suggester.suggest('s2', { count: 3 })).dismissed, 0);
  suggester.forget('s1');
  assert.equal((await suggester.suggest('s1', { count: 3 })).dismissed, 0);

  probeOf.set('s2', null);
  await assert.rejects(suggester.suggest('s2', {}), (e: unknown) => e instanceof ApiError && /Train or choose a probe/.test(e.message));
  for (const count of [0, 2.5, 101, '3']) await assert.rejects(suggester.suggest('s1', { count }), /"count" must be a whole number from 1 to 100/);
  await assert.rejects(suggester.suggest('s1', { probeId: 3 }), /"probeId" must be a string/);
  assert.throws(() => suggester.dismiss('s1', { x: 'a', y: 1 }), /"x" must be a finite number/);
  // An explicit probe wins over the slide's.
  await suggester.suggest('s1', { probeId: 'other', count: 1 });
  assert.equal(asked.at(-1), 's1/other');
});
