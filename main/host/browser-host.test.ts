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

function start(options: { token?: string | null } = {}): Promise<BrowserHost> {
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
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(host.token, null);
    const index = await rawGet(host.port, '/');
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-security-policy']), /script-src 'self'/);
    const list = JSON.parse((await rawGet(host.port, '/slides')).body) as { id: string }[];
    assert.equal(list[0].id, id);
    assert.equal((await rawGet(host.port, `/slides/${id}.dzi`)).status, 200);
    assert.equal((await rawGet(host.port, `/slides/${id}_files/9/0_0.jpeg`)).status, 200);
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
      const r = await rawGet(host.port, path);
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
    assert.equal((await rawGet(host.port, '/slides', { host: 'evil.example:80' })).status, 421);
    assert.equal((await rawGet(host.port, '/slides', { host: `localhost:${host.port}` })).status, 200);
    const cross = await fetch(`${host.url}api/listSlides`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: 'null',
    });
    assert.equal(cross.status, 403);
    const form = await fetch(`${host.url}api/listSlides`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'null' });
    assert.equal(form.status, 415);
    assert.equal((await fetch(`${host.url}api/listSlides`)).status, 405);
  } finally {
    await host.close();
  }
});

test('with an access token every request must carry it; the first page load sets a cookie', async () => {
  const host = await start({ token: 'k'.repeat(32) });
  try {
    assert.match(host.url, /\?token=k{32}$/);
    assert.equal((await rawGet(host.port, '/')).status, 401);
    assert.equal((await rawGet(host.port, `/slides/${id}.dzi`)).status, 401);
    assert.equal((await rawGet(host.port, `/slides/${id}.dzi?token=wrong`)).status, 401);
    const page = await rawGet(host.port, `/?token=${'k'.repeat(32)}`);
    assert.equal(page.status, 200);
    const cookie = String((page.headers['set-cookie'] as string[])[0]).split(';')[0];
    assert.match(String((page.headers['set-cookie'] as string[])[0]), /HttpOnly; SameSite=Strict/);
    assert.equal((await rawGet(host.port, `/slides/${id}.dzi`, { cookie })).status, 200);
    assert.equal((await rawGet(host.port, `/slides/${id}.dzi`, { 'x-tessera-token': 'k'.repeat(32) })).status, 200);
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events`);
    await new Promise<void>((resolve) => ws.on('error', () => resolve()).on('unexpected-response', () => resolve()));
    ws.terminate();
  } finally {
    await host.close();
  }
});

test('a non-loopback address gets a random token', async () => {
  const host = await startBrowserHost({ api: createTesseraApi({ slides, transport: 'browser' }), slides, host: '0.0.0.0', rendererDir: dir });
  try {
    assert.ok(host.token && host.token.length >= 32);
    assert.ok(host.url.endsWith(`?token=${host.token}`));
  } finally {
    await host.close();
  }
});

test('WebSocket carries RPC replies and service events', async () => {
  const host = await start();
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events`, { origin: `http://127.0.0.1:${host.port}` });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const messages: { id?: number; result?: unknown; event?: { type: string } }[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    ws.send(JSON.stringify({ id: 7, method: 'getSlideInfo', params: { id } }));
    writeFileSync(join(dir, 'other.svs'), 'y');
    await slides.open(join(dir, 'other.svs'));
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !(messages.some((m) => m.id === 7) && messages.some((m) => m.event?.type === 'slides-changed'))) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal((messages.find((m) => m.id === 7)?.result as { id: string }).id, id);
    assert.ok(messages.some((m) => m.event?.type === 'slides-changed'));
    ws.close();
  } finally {
    await host.close();
  }
});
