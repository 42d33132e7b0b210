import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlideService } from '../services/slide-service.js';
import { inMemoryBackend } from '../services/testing/in-memory-backend.js';
import { createTesseraProtocolHandler } from './tile-protocol.js';

let dir: string;
let slides: SlideService;
let handle: (r: Request) => Promise<Response>;
let id: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-protocol-'));
  const renderer = join(dir, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'outside.txt'), 'outside');
  symlinkSync(join(dir, 'outside.txt'), join(renderer, 'link.js'));
  writeFileSync(join(dir, 's.svs'), 'x');
  slides = new SlideService(inMemoryBackend(join(dir, 's.svs')));
  id = (await slides.open(join(dir, 's.svs'))).id;
  handle = createTesseraProtocolHandler(slides, renderer);
});
after(async () => {
  await slides.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

const get = (url: string) => handle(new Request(url));

test('tessera://app serves the renderer with a strict CSP', async () => {
  const index = await get('tessera://app/index.html');
  assert.equal(index.status, 200);
  const csp = index.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /default-src 'none'/);
  assert.equal((await get('tessera://app/assets/app.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
});

test('tessera://slides serves tiles to the app origin only through the shared routes', async () => {
  const tile = await get(`tessera://slides/${id}_files/10/0_0.jpeg`);
  assert.equal(tile.status, 200);
  assert.equal(tile.headers.get('access-control-allow-origin'), 'tessera://app');
  assert.ok((await tile.arrayBuffer()).byteLength > 100);
  assert.equal((await get(`tessera://slides/${id}.dzi`)).status, 200);
});

test('no request reaches a file outside the renderer folder or a slide not opened', async () => {
  for (const url of [
    'tessera://app/../outside.txt',
    'tessera://app/%2e%2e/outside.txt',
    'tessera://app/assets/..%2f..%2foutside.txt',
    'tessera://app/link.js',
    'tessera://app/nope.js',
    `tessera://app/${join(dir, 'outside.txt')}`,
    `tessera://slides/${id}_files/10/..%2f..%2f0_0.jpeg`,
    'tessera://slides/000000000000.dzi',
    `tessera://elsewhere/${id}.dzi`,
    'tessera://slides/../app/index.html',
  ]) {
    const r = await get(url);
    assert.ok(r.status >= 400, `${url} -> ${r.status}`);
    assert.doesNotMatch(await r.text(), /outside/, url);
  }
  assert.equal((await handle(new Request('tessera://app/index.html', { method: 'POST', body: 'x' }))).status, 405);
});
