// `tessera search` argument checks (the search itself on real tissue: main/search/find-similar.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../testing/run-cli.js';
import { parseQuery } from './search.js';

test('parseQuery: a point or a rectangle in level-0 px; anything else is refused with the forms it takes', () => {
  assert.deepEqual(parseQuery('10,20'), { x: 10, y: 20, width: 0, height: 0 });
  assert.deepEqual(parseQuery('10, 20, 300, 400'), { x: 10, y: 20, width: 300, height: 400 });
  for (const bad of ['1', '1,2,3', 'a,b', '1,-2', '1,2,3,4,5']) assert.throws(() => parseQuery(bad), /x,y or x,y,w,h/);
});

test('tessera search refuses a bad --query, --top, --out or --scope before opening anything', async () => {
  const q = await runCli(['search', '/nonexistent.svs', '--query', '1,2,3']);
  assert.equal(q.code, 1);
  assert.match(q.stderr, /x,y or x,y,w,h/);
  const top = await runCli(['search', '/nonexistent.svs', '--query', '1,2', '--top', '2.5']);
  assert.equal(top.code, 1);
  assert.match(top.stderr, /--top 2\.5: give a whole number/);
  const out = await runCli(['search', '/nonexistent.svs', '--query', '1,2', '--out', '/tmp/r.png']);
  assert.equal(out.code, 1);
  assert.match(out.stderr, /\.json, \.csv or \.geojson/);
  const scope = await runCli(['search', '/nonexistent.svs', '--query', '1,2', '--scope', 'everywhere']);
  assert.equal(scope.code, 1);
  assert.match(scope.stderr, /--scope everywhere: give slides or cache/);
  const raw = await runCli(['search', '/nonexistent.svs', '--query', '1,2', '--scope', 'cache', '--raw-cosine']);
  assert.equal(raw.code, 1);
  assert.match(raw.stderr, /always standardises/);
});
