// Transport-independent routing of the slides root, shared by Electron's `tessera://slides/…` protocol
// handler and the browser host's `/slides/…`: `<id>.dzi`, `<id>_files/<level>/<col>_<row>.<fmt>`,
// `<id>/associated/<name>.jpeg` and the JSON list. Only strict patterns match; anything with a dot
// segment, a percent escape or a backslash is refused before matching, and only slides open in the
// session are served, so no request can name a file.
import type { SlideService } from './slide-service.js';
import { toApiError } from './api-error.js';

export interface RouteResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

const ID = '([0-9a-f]{6,32})';
const DZI = new RegExp(`^${ID}\\.dzi$`);
const TILE = new RegExp(`^${ID}_files/(\\d{1,2})/(\\d{1,6})_(\\d{1,6})\\.(jpeg|jpg|png)$`);
const ASSOCIATED = new RegExp(`^${ID}/associated/([a-z][a-z0-9_-]{0,31})\\.jpeg$`);

const TILE_CACHE = 'private, max-age=86400, immutable';

function error(status: number, message: string): RouteResponse {
  return {
    status,
    headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
    body: message,
  };
}

/** The part of `url` under the slides root, raw (not decoded), or null when the URL is not under it. */
export function slidesPathOf(url: string): string | null {
  const m = /^tessera:\/\/slides(?:\/([^?#]*))?(?:[?#].*)?$/.exec(url) ?? /^(?:https?:\/\/[^/]+)?\/slides(?:\/([^?#]*))?(?:[?#].*)?$/.exec(url);
  if (!m) return null;
  return m[1] ?? '';
}

/** Answers one request under the slides root. Never throws; never reads a path from the URL. */
export async function handleTileRequest(url: string, slides: SlideService, method = 'GET'): Promise<RouteResponse> {
  const path = slidesPathOf(url);
  if (path === null) return error(404, 'Not found');
  if (method !== 'GET' && method !== 'HEAD') return error(405, 'Method not allowed');
  if (path.includes('%') || path.includes('\\') || path.includes('\0') || /(^|\/)\.\.?(\/|$)/.test(path)) {
    return error(400, 'Malformed slide path');
  }
  if (path === '') {
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: JSON.stringify(slides.list()),
    };
  }
  try {
    let m = TILE.exec(path);
    if (m) {
      const [, id, level, col, row, ext] = m;
      if (!slides.has(id)) return error(404, 'Unknown slide');
      const format = ext === 'png' ? 'png' : 'jpeg';
      const body = await slides.tile(id, Number(level), Number(col), Number(row), format);
      return { status: 200, headers: { 'content-type': `image/${format}`, 'cache-control': TILE_CACHE }, body };
    }
    m = DZI.exec(path);
    if (m) {
      if (!slides.has(m[1])) return error(404, 'Unknown slide');
      return {
        status: 200,
        headers: { 'content-type': 'application/xml; charset=utf-8', 'cache-control': 'no-store' },
        body: slides.dzi(m[1]),
      };
    }
    m = ASSOCIATED.exec(path);
    if (m) {
      if (!slides.has(m[1])) return error(404, 'Unknown slide');
      const body = await slides.associatedImage(m[1], m[2]);
      return { status: 200, headers: { 'content-type': 'image/jpeg', 'cache-control': TILE_CACHE }, body };
    }
    return error(404, 'Not found');
  } catch (err) {
    const { status, message } = toApiError(err);
    // Bad tile addresses are the client's mistake; anything else is a slide that could not be read.
    return error(status === 400 ? 404 : status, message);
  }
}
