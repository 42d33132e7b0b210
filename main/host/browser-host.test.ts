import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { SlideService } from '../services/slide-service.js';
import { createTesseraApi } from '../services/tessera-services.js';
import { inMemoryBackend } from '../services/testing/in-memory-backend.js';
import { startBrowserHost, type BrowserHost } from './browser-host.js';

let dir: string;
let slides: SlideService;
let id: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-host-'));
  mkdirSync(join(dir, 'renderer'));
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Tessera</title>');
  writeFileSync(join(dir, 'secret.txt'), 'secret');
  writeFileSync(join(dir, 'slide.svs'), 'x');
  slides = new SlideService(inMemoryBackend(join(dir, 'slide.svs')));
  id = (await slides.open(join(dir, 'slide.svs'))).id;
});
after(async () => {
  await slides.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

const TOKEN = 'k'.repeat(32);
/** What every request to the host carries: its access token. */
const auth = { 'x-tessera-token': TOKEN };

function start(options: { token?: string } = { token: TOKEN }): Promise<BrowserHost> {
  return startBrowserHost({ api: createTesseraApi({ slides, transport: 'browser' }), slides, rendererDir: join(dir, 'renderer'), ...options });
}

/** A raw HTTP GET: the path goes on the wire exactly as given (fetch would normalise `..`). */
function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('loopback host: renderer, Deep Zoom layout, CSP, and no way out of the served folders', async () => {
  const host = await start();
  try {
    assert.equal(host.url, `http://127.0.0.1:${host.port}/?token=${TOKEN}`);
    assert.equal(host.base, `http://127.0.0.1:${host.port}/`);
    const index = await rawGet(host.port, '/', auth);
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-security-policy']), /script-src 'self'/);
    const list = JSON.parse((await rawGet(host.port, '/slides', auth)).body) as { id: string }[];
    assert.equal(list[0].id, id);
    assert.equal((await rawGet(host.port, `/slides/${id}.dzi`, auth)).status, 200);
    assert.equal((await rawGet(host.port, `/slides/${id}_files/9/0_0.jpeg`, auth)).status, 200);
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/slides/../secret.txt',
      '/slides/..%2f..%2fsecret.txt',
      `/slides/${id}_files/9/../../../secret.txt`,
      '/slides/' + encodeURIComponent(join(dir, 'secret.txt')),
      '/..%5csecret.txt',
      '//etc/passwd',
    ]) {
      const r = await rawGet(host.port, path, auth);
      assert.ok(r.status >= 400, `${path} -> ${r.status}`);
      assert.doesNotMatch(r.body, /secret$/, path);
    }
  } finally {
    await host.close();
  }
});

test('loopback host refuses foreign Host headers (DNS rebinding) and cross-origin API calls', async () => {
  const host = await start();
  try {
    assert.equal((await rawGet(host.port, '/slides', { ...auth, host: 'evil.example:80' })).status, 421);
    assert.equal((await rawGet(host.port, '/slides', { ...auth, host: `localhost:${host.port}` })).status, 200);
    const cross = await fetch(`${host.base}api/listSlides`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example', ...auth },
      body: 'null',
    });
    assert.equal(cross.status, 403);
    const form = await fetch(`${host.base}api/listSlides`, { method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: 'null' });
    assert.equal(form.status, 415);
    assert.equal((await fetch(`${host.base}api/listSlides`, { headers: auth })).status, 405);
  } finally {
    await host.close();
  }
});

test('a loopback host started without a token option still makes one up, random per host', async () => {
  const a = await start({});
  const b = await start({});
  try {
    for (const host of [a, b]) {
      assert.match(host.token, /^[A-Za-z0-9_-]{32,}$/);
      assert.equal(host.url, `http://127.0.0.1:${host.port}/?token=${host.token}`);
      assert.equal((await rawGet(host.port, '/slides')).status, 401);
    }
    assert.notEqual(a.token, b.token);
    assert.equal((await rawGet(a.port, '/slides', { 'x-tessera-token': b.token })).status, 401);
    await assert.rejects(start({ token: 'short' }), /at least 16/);
  } finally {
    await a.close();
    await b.close();
  }
});

test('on loopback every request must carry the token: page, tiles, API (open, import, export) and WebSocket', async () => {
  const host = await start();
  try {
    assert.equal((await rawGet(host.port, '/')).status, 401);
    assert.equal((await rawGet(host.port, '/slides')).status, 401);
    assert.equal((await rawGet(host.port, `/slides/${id}.dzi`)).status, 401);
    assert.equal((await rawGet(host.port, `/slides/${id}_files/9/0_0.jpeg`)).status, 401);
    assert.equal((await rawGet(host.port, `/slides/${id}.dzi?token=wrong`)).status, 401);
    assert.equal((await rawGet(host.port, `/slides/${id}.dzi`, { 'x-tessera-token': 'k'.repeat(31) + 'j' })).status, 401);
    assert.equal((await rawGet(host.port, `/slides/${id}.dzi`, { cookie: `tessera_token_${host.port}=wrong` })).status, 401);
    for (const [method, params] of [
      ['openSlide', { path: join(dir, 'secret.txt') }],
      ['importAnnotations', { slideId: id, path: join(dir, 'secret.txt') }],
      ['exportAnnotations', { slideId: id, path: join(dir, 'out.geojson'), overwrite: true }],
      ['listSlides', null],
    ] as const) {
      const r = await fetch(`${host.base}api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: host.base.slice(0, -1) },
        body: JSON.stringify(params),
      });
      assert.equal(r.status, 401, method);
      assert.doesNotMatch(await r.text(), /secret/, method);
    }
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events`, { origin: `http://127.0.0.1:${host.port}` });
    const refused = await new Promise<number>((resolve) => {
      ws.on('open', () => resolve(101));
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(0));
    });
    ws.terminate();
    assert.equal(refused, 403);
  } finally {
    await host.close();
  }
});

test('the first tokened page load sets an HttpOnly SameSite=Strict cookie (one per port) that tiles and the WebSocket use', async () => {
  const host = await start();
  try {
    assert.match(host.url, /\?token=k{32}$/);
    const page = await rawGet(host.port, `/?token=${TOKEN}`);
    assert.equal(page.status, 200);
    const setCookie = String((page.headers['set-cookie'] as string[])[0]);
    assert.match(setCookie, new RegExp(`^tessera_token_${host.port}=k{32}; Path=/; HttpOnly; SameSite=Strict$`));
    const cookie = setCookie.split(';')[0];
    assert.equal((await rawGet(host.port, `/slides/${id}.dzi`, { cookie })).status, 200);
    assert.equal((await rawGet(host.port, `/slides/${id}_files/9/0_0.jpeg`, { cookie })).status, 200);
    assert.equal((await rawGet(host.port, `/slides/${id}.dzi`, auth)).status, 200);
    // A cookie of the same name for another port is not this host's.
    assert.equal((await rawGet(host.port, `/slides/${id}.dzi`, { cookie: `tessera_token_1=${TOKEN}` })).status, 401);
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events`, { origin: `http://127.0.0.1:${host.port}`, headers: { cookie } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.terminate();
  } finally {
    await host.close();
  }
});

test('a non-loopback address gets a random token', async () => {
  const host = await startBrowserHost({ api: createTesseraApi({ slides, transport: 'browser' }), slides, host: '0.0.0.0', rendererDir: dir });
  try {
    assert.ok(host.token.length >= 32);
    assert.ok(host.url.endsWith(`?token=${host.token}`));
  } finally {
    await host.close();
  }
});

test('WebSocket carries service events, one way: a call sent on it gets no reply', async () => {
  const host = await start();
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events`, { origin: `http://127.0.0.1:${host.port}`, headers: auth });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const messages: { id?: number; result?: unknown; event?: { type: string } }[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    ws.send(JSON.stringify({ id: 7, method: 'getSlideInfo', params: { id } }));
    writeFileSync(join(dir, 'other.svs'), 'y');
    await slides.open(join(dir, 'other.svs'));
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !messages.some((m) => m.event?.type === 'slides-changed')) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(messages.some((m) => m.event?.type === 'slides-changed'));
    // API calls go over HTTP only: the one path that checks origin, content type and body size.
    assert.equal(messages.some((m) => m.id === 7), false);
    ws.close();
  } finally {
    await host.close();
  }
});
