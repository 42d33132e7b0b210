// The browser host: the same services as the desktop app, over HTTP + WebSocket. A thin transport:
// `/slides/…` goes to the shared slide routes, `POST /api/<method>` and WebSocket `/api/events` to the
// shared dispatcher, everything else to the compiled renderer.
//
// Safety: by default it listens on 127.0.0.1 only and checks the Host header (a web page elsewhere
// cannot reach it by DNS rebinding). Listening on any other address requires a random access token on
// every request (query `?token=`, header `x-tessera-token`, or the cookie the first page load sets).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { TesseraApi, TesseraEvent } from '../contracts/tessera-api.js';
import type { SlideService } from '../services/slide-service.js';
import { dispatchApiCall } from '../services/tessera-services.js';
import { handleTileRequest, type RouteResponse } from '../services/slide-routes.js';
import { contentSecurityPolicy, serveStaticFile } from '../services/static-files.js';
import { rendererDir as defaultRendererDir } from '../services/app-paths.js';

export interface BrowserHostOptions {
  api: TesseraApi;
  slides: SlideService;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Listen address; default 127.0.0.1. Anything but loopback turns the access token on. */
  host?: string;
  rendererDir?: string;
  /** Force a token (tests); by default one is generated only for non-loopback addresses. */
  token?: string | null;
}

export interface BrowserHost {
  /** The URL to open, token included when there is one. */
  url: string;
  port: number;
  token: string | null;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const TOKEN_COOKIE = 'tessera_token';

function send(res: ServerResponse, r: RouteResponse, head = false): void {
  res.writeHead(r.status, {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    ...r.headers,
    'content-length': Buffer.byteLength(r.body),
  });
  res.end(head ? undefined : r.body);
}

function json(status: number, body: unknown): RouteResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify(body) };
}

function text(status: number, body: string): RouteResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('Request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}

function publicAddress(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host.includes(':') ? `[${host}]` : host;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

export async function startBrowserHost(options: BrowserHostOptions): Promise<BrowserHost> {
  const { api, slides } = options;
  const listenHost = options.host ?? '127.0.0.1';
  const loopback = LOOPBACK.has(listenHost);
  const token = options.token !== undefined ? options.token : loopback ? null : randomBytes(24).toString('base64url');
  const rendererDir = options.rendererDir ?? defaultRendererDir;
  const csp = contentSecurityPolicy();
  let port = 0;

  /** Host-header check against DNS rebinding (loopback only; the token covers the rest). */
  const hostAllowed = (req: IncomingMessage): boolean => {
    if (!loopback) return true;
    const h = req.headers.host ?? '';
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(h);
  };
  const originAllowed = (req: IncomingMessage): boolean => {
    const origin = req.headers.origin;
    return origin === undefined || origin === `http://${req.headers.host}`;
  };
  /** Null when authorised; else the response to send. `setCookie` when the token came in the query. */
  const authorise = (req: IncomingMessage, url: URL): { ok: boolean; setCookie: boolean } => {
    if (!token) return { ok: true, setCookie: false };
    const fromQuery = url.searchParams.get('token');
    if (fromQuery && sameToken(fromQuery, token)) return { ok: true, setCookie: true };
    const header = req.headers['x-tessera-token'];
    if (typeof header === 'string' && sameToken(header, token)) return { ok: true, setCookie: false };
    const cookie = cookieValue(req, TOKEN_COOKIE);
    return { ok: cookie !== null && sameToken(cookie, token), setCookie: false };
  };

  const route = async (req: IncomingMessage, url: URL): Promise<RouteResponse> => {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/slides' || path.startsWith('/slides/')) return handleTileRequest(req.url ?? '', slides, method);
    if (path.startsWith('/api/')) {
      if (method !== 'POST') return text(405, 'Use POST for API calls');
      if (!originAllowed(req)) return text(403, 'Cross-origin API calls are refused');
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return text(415, 'API calls take application/json');
      let params: unknown;
      try {
        const body = await readBody(req);
        params = body.trim() === '' ? undefined : JSON.parse(body);
      } catch (err) {
        return json(400, { error: { code: 'invalid-argument', message: `Malformed JSON body: ${(err as Error).message}` } });
      }
      const out = await dispatchApiCall(api, decodeURIComponent(path.slice('/api/'.length)), params);
      return out.ok ? json(200, { result: out.result }) : json(out.status, { error: out.error });
    }
    if (method !== 'GET' && method !== 'HEAD') return text(405, 'Method not allowed');
    const raw = (req.url ?? '/').replace(/[?#].*$/, '');
    return serveStaticFile(rendererDir, raw.slice(1), csp);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    if (!hostAllowed(req)) return send(res, text(421, 'Unexpected Host header'));
    const auth = authorise(req, url);
    if (!auth.ok) return send(res, text(401, 'This Tessera host needs its access token: open the URL it printed'));
    route(req, url).then(
      (r) => {
        if (auth.setCookie && token) {
          r.headers['set-cookie'] = `${TOKEN_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict`;
        }
        send(res, r, req.method === 'HEAD');
      },
      (err: unknown) => send(res, text(500, (err as Error)?.message ?? 'Internal error')),
    );
  });
  // Keep-alive sockets would hold `close()` open; tiles come in bursts anyway.
  server.keepAliveTimeout = 5000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    if (url.pathname !== '/api/events' || !hostAllowed(req) || !originAllowed(req) || !authorise(req, url).ok) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data) => {
        let msg: { id?: unknown; method?: unknown; params?: unknown };
        try {
          msg = JSON.parse(String(data)) as typeof msg;
        } catch {
          return;
        }
        if (typeof msg.method !== 'string') return;
        void dispatchApiCall(api, msg.method, msg.params).then((out) => {
          if (ws.readyState !== ws.OPEN) return;
          ws.send(JSON.stringify(out.ok ? { id: msg.id, result: out.result } : { id: msg.id, error: out.error }));
        });
      });
    });
  });
  const unsubscribe = slides.onEvent((event: TesseraEvent) => {
    const data = JSON.stringify({ event });
    for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(data);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, listenHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const base = `http://${loopback ? '127.0.0.1' : publicAddress(listenHost)}:${port}/`;
  return {
    url: token ? `${base}?token=${token}` : base,
    port,
    token,
    async close() {
      unsubscribe();
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
