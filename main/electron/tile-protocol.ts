// The `tessera://` scheme of the desktop app: `tessera://app/…` is the compiled renderer and
// `tessera://slides/…` the slides root (the same routes the browser host serves under /slides/).
// Plain Request -> Response, so it runs and is tested without Electron; main.ts hands it to protocol.handle.
import type { SlideService } from '../services/slide-service.js';
import { handleTileRequest, type RouteResponse } from '../services/slide-routes.js';
import { contentSecurityPolicy, serveStaticFile } from '../services/static-files.js';

export const APP_ORIGIN = 'tessera://app';
export const APP_URL = `${APP_ORIGIN}/index.html`;

/** What protocol.registerSchemesAsPrivileged needs: a standard, secure scheme that fetch and CORS work with. */
export const TESSERA_SCHEME = {
  scheme: 'tessera',
  privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true },
} as const;

function toResponse(r: RouteResponse, extraHeaders: Record<string, string> = {}): Response {
  // A copy into a plain ArrayBuffer: BodyInit takes no Buffer over a possibly shared pool.
  const body = typeof r.body === 'string' ? r.body : new Uint8Array(r.body);
  return new Response(r.status === 204 ? null : body, {
    status: r.status,
    headers: { 'x-content-type-options': 'nosniff', ...r.headers, ...extraHeaders },
  });
}

export function createTesseraProtocolHandler(slides: SlideService, rendererDir: string): (request: Request) => Promise<Response> {
  const csp = contentSecurityPolicy(['tessera:']);
  return async (request) => {
    const url = request.url;
    if (url.startsWith('tessera://slides/') || url === 'tessera://slides') {
      // The renderer (tessera://app) reads tiles with fetch: a cross-origin read within our own scheme.
      return toResponse(await handleTileRequest(url, slides, request.method), { 'access-control-allow-origin': APP_ORIGIN });
    }
    const app = /^tessera:\/\/app\/([^?#]*)/.exec(url);
    if (app) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('Method not allowed', { status: 405 });
      return toResponse(await serveStaticFile(rendererDir, app[1], csp));
    }
    return new Response('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  };
}
