// The browser host's binary heatmap route: `GET /heatmap/<slideId>/<probeId>?since=<version>` answers the
// contract's `getHeatmapUpdate` as `application/octet-stream` (the JSON API cannot carry bytes). As the
// slide routes: strict patterns only (no percent escapes, dot segments or backslashes), slides opened in
// this session only; the host checks its access token before any route.
import type { TesseraApi } from '../contracts/tessera-api.js';
import type { RouteResponse } from './slide-routes.js';
import { toApiError } from './api-error.js';

const ROUTE = /^\/heatmap\/([0-9a-f]{6,32})\/([A-Za-z0-9_-][A-Za-z0-9._-]{0,127})$/;

function error(status: number, message: string): RouteResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: message };
}

/** Whether `pathname` is under the heatmap root (the host sends those here). */
export function isHeatmapPath(pathname: string): boolean {
  return pathname === '/heatmap' || pathname.startsWith('/heatmap/');
}

/** Answers one request under `/heatmap/`. Never throws. */
export async function handleHeatmapRequest(
  url: URL,
  method: string,
  api: Pick<TesseraApi, 'getHeatmapUpdate'>,
  slides: { has(id: string): boolean },
): Promise<RouteResponse> {
  if (method !== 'GET' && method !== 'HEAD') return error(405, 'Method not allowed');
  const m = ROUTE.exec(url.pathname);
  if (!m || m[2].includes('..')) return error(400, 'Malformed heatmap path: /heatmap/<slide id>/<probe id>?since=<version>');
  const [, slideId, probeId] = m;
  for (const key of url.searchParams.keys())
    if (key !== 'since' && key !== 'token') return error(400, `Unknown query parameter ${JSON.stringify(key)}`);
  const raw = url.searchParams.getAll('since');
  if (raw.length > 1 || (raw.length === 1 && !/^\d{1,15}$/.test(raw[0]))) return error(400, 'Parameter "since" must be one version (a whole number ≥ 0)');
  if (!slides.has(slideId)) return error(404, 'Unknown slide');
  try {
    const body = await api.getHeatmapUpdate({ slideId, probeId, ...(raw.length ? { since: Number(raw[0]) } : {}) });
    return {
      status: 200,
      headers: { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' },
      body: Buffer.from(body.buffer, body.byteOffset, body.byteLength),
    };
  } catch (err) {
    const { status, code, message } = toApiError(err);
    // A 5xx is logged in full here; the client gets no paths.
    if (status >= 500) process.emitWarning(`heatmap route: ${message}`);
    return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify({ error: { code, message: status >= 500 ? 'Internal error' : message } }) };
  }
}
