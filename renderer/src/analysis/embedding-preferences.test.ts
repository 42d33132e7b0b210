// The embedding preferences round-trip through the browser's storage, ignore malformed stored values, and
// fall back to the defaults (background embedding on, no magnification choice) when storage is unavailable.
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { loadBackgroundEmbedding, loadMppChoice, saveBackgroundEmbedding, saveMppChoice } from './embedding-preferences';

const g = globalThis as { localStorage?: unknown };
afterEach(() => delete g.localStorage);

function memoryStorage(): Map<string, string> {
  const m = new Map<string, string>();
  g.localStorage = { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
  return m;
}

test('saved preferences load back; malformed ones are ignored', () => {
  const m = memoryStorage();
  assert.equal(loadBackgroundEmbedding(), true, 'on unless turned off');
  saveBackgroundEmbedding(false);
  assert.equal(loadBackgroundEmbedding(), false);
  saveBackgroundEmbedding(true);
  assert.equal(loadBackgroundEmbedding(), true);
  assert.deepEqual(loadMppChoice(), {});
  saveMppChoice({ 'model-a': [0.5, 2] });
  assert.deepEqual(loadMppChoice(), { 'model-a': [0.5, 2] });
  m.set('tessera.embeddingMpps', JSON.stringify({ good: [1], bad: [-1], worse: 'x' }));
  assert.deepEqual(loadMppChoice(), { good: [1] });
  m.set('tessera.embeddingMpps', '[1, 2]');
  assert.deepEqual(loadMppChoice(), {});
  m.set('tessera.embeddingMpps', '{not json');
  assert.deepEqual(loadMppChoice(), {});
});

test('without storage (or when it throws): the defaults, and saving does not fail', () => {
  assert.equal(loadBackgroundEmbedding(), true);
  assert.deepEqual(loadMppChoice(), {});
  g.localStorage = {
    getItem: () => {
      throw new Error('SecurityError');
    },
    setItem: () => {
      throw new Error('QuotaExceededError');
    },
  };
  assert.equal(loadBackgroundEmbedding(), true);
  assert.deepEqual(loadMppChoice(), {});
  assert.doesNotThrow(() => saveBackgroundEmbedding(false));
  assert.doesNotThrow(() => saveMppChoice({ m: [1] }));
});
