// The browser host: the same services as the desktop app, over HTTP + WebSocket. A thin transport:
// `/slides/…` goes to the shared slide routes, `POST /api/<method>` to the shared dispatcher, WebSocket
// `/api/events` carries the services' events to the renderer (one way), everything else is the compiled renderer.
//
// Safety: every request needs the host's random per-session access token, as Jupyter does (query
// `?token=` in the printed URL, header `x-tessera-token`, or the HttpOnly SameSite=Strict cookie the first
// tokened page load sets): on a shared machine another local account can reach 127.0.0.1 too. By default it
// listens on 127.0.0.1 only and checks the Host header (a web page elsewhere cannot reach it by DNS
// rebinding).
//
// Robustness: bad input costs one request or one socket, never the process. Bodies over 1 MiB get 413,
// malformed frames close that WebSocket (with the protocol's close code), and a 500 carries no file path.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiErrorPayload, TesseraApi, TesseraEvent } from '../contracts/tessera-api.js';
import type { SlideService } from '../services/slide-service.js';
import type { EventBus } from '../services/event-bus.js';
import { dispatchApiCall } from '../services/tessera-services.js';
import { handleTileRequest, type RouteResponse } from '../services/slide-routes.js';
import { handleHeatmapRequest, isHeatmapPath } from '../services/heatmap-routes.js';
import { contentSecurityPolicy, serveStaticFile } from '../services/static-files.js';
import { rendererDir as defaultRendererDir } from '../services/app-paths.js';

export interface BrowserHostOptions {
  api: TesseraApi;
  slides: SlideService;
  /** The events to forward to every WebSocket; default the slide service's bus. */
  events?: EventBus;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Listen address; default 127.0.0.1. */
  host?: string;
  rendererDir?: string;
  /** Force a token (tests); by default a random one. There is always one: it cannot be turned off. */
  token?: string;
}

export interface BrowserHost {
  /** The URL to open, with the access token: `http://127.0.0.1:PORT/?token=…`. */
  url: string;
  /** The root URL without the token (`http://127.0.0.1:PORT/`), for clients that send it otherwise. */
  base: string;
  port: number;
  /** The access token every request must carry. */
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const MIN_TOKEN_LENGTH = 16;

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

class BodyTooLargeError extends Error {
  constructor() {
    super(`Request body too large: API calls take at most ${MAX_BODY >> 20} MiB`);
    this.name = 'BodyTooLargeError';
  }
}

/**
 * The request body as text; rejects with BodyTooLargeError past MAX_BODY. The rest of an oversized body is
 * read and dropped rather than the socket destroyed, so the client gets its 413 instead of a reset.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      if (size > MAX_BODY) return;
      size += c.length;
      if (size > MAX_BODY) {
        chunks.length = 0;
        reject(new BodyTooLargeError());
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * An internal error's message as a client may see it: no file paths, no temp names. Node's system errors
 * (`ENOSPC: no space left on device, write '/…/.x.tmp'`) keep their description and code.
 */
function publicErrorMessage(message: string): string {
  const system = /^(E[A-Z0-9]+): ([^,]+)/.exec(message);
  if (system) return `Internal error: ${system[2]} (${system[1]})`;
  const scrubbed = message
    .replace(/(['"`])[^'"`]*[\\/][^'"`]*\1/g, '[path]')
    .replace(/(^|[\s=([])(?:~?\/|[A-Za-z]:\\|\\\\)[^\s'"`,;()]*/g, '$1[path]')
    .replace(/[^\s'"`,;()]*\.tmp\b/g, '[temp file]');
  return scrubbed.trim() === '' ? 'Internal error' : scrubbed;
}

/** Logs a problem in full on the host's side (stderr), where the client never sees it. */
function logProblem(where: string, message: string): void {
  process.emitWarning(`browser host: ${where}: ${message}`);
}

/** The error payload to send: a 5xx is logged in full here and goes out with its paths scrubbed. */
function safeError(status: number, error: ApiErrorPayload, where: string): ApiErrorPayload {
  if (status < 500) return error;
  logProblem(where, error.message);
  return { code: error.code, message: publicErrorMessage(error.message) };
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
  const token = options.token ?? randomBytes(24).toString('base64url');
  if (token.length < MIN_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token))
    throw new Error(`the access token must be at least ${MIN_TOKEN_LENGTH} URL-safe characters (A-Z a-z 0-9 _ -)`);
  const rendererDir = options.rendererDir ?? defaultRendererDir;
  const csp = contentSecurityPolicy();
  let port = 0;
  // Cookies are not scoped by port: one name per port keeps two hosts on 127.0.0.1 from clobbering each other.
  let tokenCookie = 'tessera_token';

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
  /** Whether the request carries the token; `setCookie` when it came in the query. */
  const authorise = (req: IncomingMessage, url: URL): { ok: boolean; setCookie: boolean } => {
    const fromQuery = url.searchParams.get('token');
    if (fromQuery && sameToken(fromQuery, token)) return { ok: true, setCookie: true };
    const header = req.headers['x-tessera-token'];
    if (typeof header === 'string' && sameToken(header, token)) return { ok: true, setCookie: false };
    const cookie = cookieValue(req, tokenCookie);
    return { ok: cookie !== null && sameToken(cookie, token), setCookie: false };
  };

  const route = async (req: IncomingMessage, url: URL): Promise<RouteResponse> => {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/slides' || path.startsWith('/slides/')) return handleTileRequest(req.url ?? '', slides, method);
    // Binary heatmap updates (the JSON API cannot carry bytes), behind the same token and open-slide checks.
    if (isHeatmapPath(path)) return handleHeatmapRequest(url, method, api, slides);
    if (path.startsWith('/api/')) {
      if (method !== 'POST') return text(405, 'Use POST for API calls');
      if (!originAllowed(req)) return text(403, 'Cross-origin API calls are refused');
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return text(415, 'API calls take application/json');
      let apiMethod: string;
      try {
        apiMethod = decodeURIComponent(path.slice('/api/'.length));
      } catch {
        return json(400, { error: { code: 'invalid-argument', message: 'Malformed percent-encoding in the API method name' } });
      }
      if (apiMethod === 'getHeatmapUpdate')
        return json(400, { error: { code: 'invalid-argument', message: 'getHeatmapUpdate returns bytes: GET /heatmap/<slideId>/<probeId>?since=<version>' } });
      let params: unknown;
      try {
        const body = await readBody(req);
        params = body.trim() === '' ? undefined : JSON.parse(body);
      } catch (err) {
        if (err instanceof BodyTooLargeError) return json(413, { error: { code: 'too-large', message: err.message } });
        return json(400, { error: { code: 'invalid-argument', message: `Malformed JSON body: ${(err as Error).message}` } });
      }
      const out = await dispatchApiCall(api, apiMethod, params);
      return out.ok ? json(200, { result: out.result }) : json(out.status, { error: safeError(out.status, out.error, apiMethod) });
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
        if (auth.setCookie) {
          r.headers['set-cookie'] = `${tokenCookie}=${token}; Path=/; HttpOnly; SameSite=Strict`;
        }
        send(res, r, req.method === 'HEAD');
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        logProblem(`${req.method ?? 'GET'} ${url.pathname}`, message);
        send(res, text(500, publicErrorMessage(message)));
      },
    );
  });
  // Keep-alive sockets would hold `close()` open; tiles come in bursts anyway.
  server.keepAliveTimeout = 5000;

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY });
  const sockets = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    // A client that resets mid-handshake must not become an unhandled 'error' (ws adds its own later).
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://host.invalid');
    if (url.pathname !== '/api/events' || !hostAllowed(req) || !originAllowed(req) || !authorise(req, url).ok) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      // A malformed frame (too big, unmasked, bad UTF-8, reserved opcode): ws has already started closing
      // with the matching close code and emits this once per socket. Log it; the other sockets carry on.
      ws.on('error', (err) => {
        logProblem('closed a WebSocket after a bad frame', err.message);
        if (ws.readyState !== ws.CLOSED && ws.readyState !== ws.CLOSING) ws.close(1002);
      });
      // Events flow one way, host → renderer; API calls go over HTTP (`POST /api/<method>`), one path to
      // check. Whatever a client sends here is ignored.
    });
  });
  const unsubscribe = (options.events ?? slides.events).on((event: TesseraEvent) => {
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
  tokenCookie = `tessera_token_${port}`;
  const base = `http://${loopback ? '127.0.0.1' : publicAddress(listenHost)}:${port}/`;
  return {
    url: `${base}?token=${token}`,
    base,
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
