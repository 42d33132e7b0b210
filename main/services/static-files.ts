// Serves the compiled renderer (index.html, hashed assets) for both transports. Only plain names under
// the renderer folder: dot segments, escapes and backslashes are refused, symlinks are not followed out.
import { readFile, realpath } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import type { RouteResponse } from './slide-routes.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** The renderer's Content-Security-Policy: scripts only from the app, tiles from the slides root. */
export function contentSecurityPolicy(extraSources: string[] = []): string {
  const extra = extraSources.length ? ' ' + extraSources.join(' ') : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${extra}`,
    `connect-src 'self'${extra}`,
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const notFound = (): RouteResponse => ({ status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Not found' });

/** `urlPath` is the raw path part after the app root, e.g. `assets/index-abc.js`, '' for index.html. */
export async function serveStaticFile(root: string, urlPath: string, csp: string): Promise<RouteResponse> {
  const path = urlPath.replace(/[?#].*$/, '');
  if (path.includes('%') || path.includes('\\') || path.includes('\0') || /(^|\/)\.\.?(\/|$)/.test(path) || path.startsWith('/')) {
    return { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Malformed path' };
  }
  if (!/^[A-Za-z0-9._/-]*$/.test(path)) return notFound();
  const rel = path === '' || path.endsWith('/') ? path + 'index.html' : path;
  try {
    const rootReal = await realpath(root);
    const file = await realpath(join(rootReal, rel));
    if (!file.startsWith(rootReal + sep)) return notFound();
    const body = await readFile(file);
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    const headers: Record<string, string> = {
      'content-type': type,
      'x-content-type-options': 'nosniff',
      'cache-control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    if (type.startsWith('text/html')) headers['content-security-policy'] = csp;
    return { status: 200, headers, body };
  } catch {
    if (rel === 'index.html') {
      return {
        status: 503,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: `The Tessera renderer is not built (no ${join(root, 'index.html')}). Run \`npm run build\` first.`,
      };
    }
    return notFound();
  }
}
