import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExtraRoute } from '../api-server.js';

/**
 * The page only loads its own script and style and talks to its own origin: no inline script,
 * no eval, no third-party anything. `Referrer-Policy: no-referrer` keeps a `?key=` (removed by
 * the page at once) from leaking through a Referer header.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/**
 * Serves the local dashboard (a static page calling the API with the user's key) through the
 * API server's extra-route hook. Everything else falls through to the API.
 */
export function dashboardRoute(): ExtraRoute {
  const assets = new Map(
    Object.entries(FILES).map(([path, { file, type }]) => [
      path,
      { type, body: readFileSync(new URL(file, import.meta.url)) },
    ]),
  );
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/favicon.ico') {
      res.writeHead(204, SECURITY_HEADERS).end();
      return true;
    }
    const asset = assets.get(path === '/index.html' ? '/' : path);
    if (!asset) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed');
      return true;
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': asset.type,
      'content-length': String(asset.body.length),
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  };
}
