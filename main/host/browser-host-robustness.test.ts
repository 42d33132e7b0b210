// The browser host against malformed input: bad WebSocket frames on raw TCP sockets, oversized bodies,
// malformed percent-encoding and internal errors must cost one request or one socket, never the process,
// and a 500 must not give away file paths.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { TesseraApi } from '../contracts/tessera-api.js';
import { SlideService } from '../services/slide-service.js';
import { createTesseraApi } from '../services/tessera-services.js';
import { inMemoryBackend } from '../services/testing/in-memory-backend.js';
import { startBrowserHost, type BrowserHost } from './browser-host.js';

let dir: string;
let slides: SlideService;
let id: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tessera-host-frames-'));
  mkdirSync(join(dir, 'renderer'));
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Tessera</title>');
  writeFileSync(join(dir, 'slide.svs'), 'x');
  slides = new SlideService(inMemoryBackend(join(dir, 'slide.svs')));
  id = (await slides.open(join(dir, 'slide.svs'))).id;
});
after(async () => {
  await slides.closeAll();
  rmSync(dir, { recursive: true, force: true });
});

const TOKEN = 't'.repeat(32);
/** What every request to the host carries: its access token. */
const auth = { 'x-tessera-token': TOKEN };

function start(api: TesseraApi = createTesseraApi({ slides, transport: 'browser' })): Promise<BrowserHost> {
  return startBrowserHost({ api, slides, rendererDir: join(dir, 'renderer'), token: TOKEN });
}

/** Resolves with what `socket` received once it closes, or after `ms` (then destroys it). */
function collectUntilClosed(socket: Socket, ms = 5000): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {}); // a reset from the host counts as closed
    socket.on('close', () => done(true));
  });
}

/** A raw TCP socket that has completed the WebSocket handshake on /api/events. */
async function rawWebSocket(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.write(
    [
      'GET /api/events HTTP/1.1',
      `Host: 127.0.0.1:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
      'Sec-WebSocket-Version: 13',
      `X-Tessera-Token: ${TOKEN}`,
      '',
      '',
    ].join('\r\n'),
  );
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const timer = setTimeout(() => reject(new Error('no handshake reply')), 5000);
    const onData = (c: Buffer) => {
      head += c.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      clearTimeout(timer);
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
      else resolve();
    };
    socket.on('data', onData);
  });
  return socket;
}

/** A client frame, masked unless `mask` is false; `length` overrides the payload length in the header. */
function frame(opcode: number, payload: Buffer, options: { mask?: boolean; length?: number } = {}): Buffer {
  const mask = options.mask !== false;
  const length = options.length ?? payload.length;
  let header: Buffer;
  if (length < 126) header = Buffer.from([0x80 | opcode, (mask ? 0x80 : 0) | length]);
  else if (length < 0x10000) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = (mask ? 0x80 : 0) | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = (mask ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!mask) return Buffer.concat([header, payload]);
  const key = randomBytes(4);
  const body = Buffer.from(payload.map((b, i) => b ^ key[i % 4]));
  return Buffer.concat([header, key, body]);
}

async function assertStillServing(host: BrowserHost): Promise<void> {
  const list = await fetch(`${host.base}slides`, { headers: auth });
  assert.equal(list.status, 200);
  assert.equal(((await list.json()) as { id: string }[])[0].id, id);
  const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events`, { origin: `http://127.0.0.1:${host.port}`, headers: auth });
  try {
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    // The events channel still delivers: an event published now reaches this new socket.
    const event = new Promise<{ event: { type: string; message?: string } }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no event on the WebSocket')), 5000);
      ws.on('message', (d) => {
        clearTimeout(timer);
        resolve(JSON.parse(String(d)) as { event: { type: string; message?: string } });
      });
    });
    slides.emit({ type: 'error', message: `still serving ${id}` });
    assert.deepEqual((await event).event, { type: 'error', message: `still serving ${id}` });
  } finally {
    ws.terminate();
  }
}

test('malformed WebSocket frames close that socket only; the host keeps serving HTTP and WebSocket', async () => {
  const host = await start();
  try {
    const bad: [string, Buffer][] = [
      // Header announcing 1 MiB + 1 (over maxPayload), with the first bytes of the payload.
      ['a message over maxPayload', frame(0x1, Buffer.alloc(64, 0x61), { length: (1 << 20) + 1 })],
      // A whole 1 MiB + 1 message actually sent, in one frame.
      ['a whole message over maxPayload', frame(0x1, Buffer.alloc((1 << 20) + 1, 0x61))],
      ['a 4-byte unmasked frame', frame(0x1, Buffer.from('hi'), { mask: false })],
      ['invalid UTF-8 in a text frame', frame(0x1, Buffer.from([0xc3, 0x28, 0xff, 0xfe]))],
      ['a reserved opcode', frame(0x3, Buffer.alloc(0))],
      ['a reserved control opcode', frame(0xb, Buffer.alloc(0))],
      ['RSV1 set without an extension', Buffer.concat([Buffer.from([0xc1]), frame(0x1, Buffer.from('x')).subarray(1)])],
    ];
    for (const [what, bytes] of bad) {
      const socket = await rawWebSocket(host.port);
      const received = collectUntilClosed(socket);
      socket.write(bytes);
      const { data, closed } = await received;
      assert.ok(closed, `${what}: the host should close the socket`);
      // When a close frame came back, it carries a protocol-level status (1002, 1007, 1009).
      if (data.length >= 4 && (data[0] & 0x0f) === 0x8)
        assert.ok([1002, 1007, 1009].includes(data.readUInt16BE(2)), `${what}: close code ${data.readUInt16BE(2)}`);
      await assertStillServing(host);
    }
    // Well-formed frames (the events channel takes no input) are ignored, not fatal.
    for (const message of ['null', '42', '"x"', '[]', '{"method":7}', '{', '']) {
      const socket = await rawWebSocket(host.port);
      socket.write(frame(0x1, Buffer.from(message)));
      socket.write(frame(0x2, Buffer.from(message)));
      await new Promise((r) => setTimeout(r, 20));
      socket.destroy();
      await assertStillServing(host);
    }
    // A client that resets the TCP connection in the middle of a handshake.
    for (let i = 0; i < 5; i++) {
      const socket = connect(host.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nX-Tessera-Token: ${TOKEN}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`,
      );
      socket.resetAndDestroy();
    }
    await assertStillServing(host);
  } finally {
    await host.close();
  }
});

test('a request body over 1 MiB gets 413, not a connection reset; the host keeps serving', async () => {
  const host = await start();
  try {
    const big = JSON.stringify({ path: 'x'.repeat((1 << 20) + 16) });
    const r = await fetch(`${host.base}api/openSlide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: big,
    });
    assert.equal(r.status, 413);
    assert.match(await r.text(), /too large/i);
    // Several megabytes, on a raw socket: the 413 arrives and the socket is not reset before it.
    const socket = connect(host.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const response = new Promise<{ head: string; error: string | null }>((resolve) => {
      let head = '';
      const timer = setTimeout(() => resolve({ head, error: 'timed out' }), 10_000);
      socket.on('data', (c: Buffer) => {
        head += c.toString('latin1');
        if (head.includes('\r\n\r\n')) {
          clearTimeout(timer);
          resolve({ head, error: null });
        }
      });
      socket.on('error', (err) => resolve({ head, error: err.message }));
      socket.on('close', () => resolve({ head, error: 'closed before a response' }));
    });
    const length = 4 << 20;
    socket.write(
      `POST /api/openSlide HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nX-Tessera-Token: ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`,
    );
    for (let sent = 0; sent < length; sent += 1 << 16) socket.write(Buffer.alloc(1 << 16, 0x20));
    const { head, error } = await response;
    socket.destroy();
    assert.equal(error, null, `raw 4 MiB POST: ${error}`);
    assert.match(head, /^HTTP\/1\.1 413 /);
    // Just under the limit is still read (and fails for its own reason, not its size).
    const ok = await fetch(`${host.base}api/openSlide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ path: join(dir, 'none.svs') }),
    });
    assert.notEqual(ok.status, 413);
    await assertStillServing(host);
  } finally {
    await host.close();
  }
});

test('malformed percent-encoding in an API path is 400, not 500', async () => {
  const host = await start();
  try {
    for (const path of ['/api/%E0%A4%A', '/api/%', '/api/%zz']) {
      const r = await fetch(`http://127.0.0.1:${host.port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: 'null',
      });
      assert.equal(r.status, 400, path);
      const body = (await r.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'invalid-argument', path);
      assert.doesNotMatch(body.error.message, /URI malformed/, path);
    }
    await assertStillServing(host);
  } finally {
    await host.close();
  }
});

test('a 500 never carries a file path or a temp file name, over HTTP or the WebSocket', async () => {
  const temp = join(dir, 'annotations', '.abc.json.1234.deadbeef.tmp');
  let recentCalls = 0;
  const failing = (): never => {
    throw Object.assign(new Error(`ENOSPC: no space left on device, write '${temp}'`), {
      code: 'ENOSPC',
      errno: -28,
      syscall: 'write',
      path: temp,
    });
  };
  const api: TesseraApi = {
    ...createTesseraApi({ slides, transport: 'browser' }),
    listRecentSlides: async () => {
      recentCalls++;
      return failing();
    },
    getAppInfo: async () => {
      throw new Error(`could not read ${join(dir, 'secret', 'config.json')} (see C:\\Users\\x\\file.tmp)`);
    },
  };
  const host = await start(api);
  try {
    for (const method of ['listRecentSlides', 'getAppInfo']) {
      const r = await fetch(`${host.base}api/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: 'null',
      });
      assert.equal(r.status, 500, method);
      const text = await r.text();
      assert.ok(
        !text.includes(dir) && !text.includes('/') && !text.includes('\\') && !/\.tmp/.test(text),
        `${method}: ${text}`,
      );
      if (method === 'listRecentSlides') assert.match(text, /no space left on device/i);
    }
    // A call sent over the events WebSocket is not an API path: nothing comes back (and nothing runs).
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/api/events`, { origin: `http://127.0.0.1:${host.port}`, headers: auth });
    try {
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const received: string[] = [];
      ws.on('message', (d) => received.push(String(d)));
      const before = recentCalls;
      ws.send(JSON.stringify({ id: 3, method: 'listRecentSlides' }));
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(received, []);
      assert.equal(recentCalls, before, 'no API method runs from the events socket');
    } finally {
      ws.terminate();
    }
  } finally {
    await host.close();
  }
});
