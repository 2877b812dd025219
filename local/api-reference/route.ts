import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Redoc styles itself with inline `<style>` (styled-components) and runs its search in a worker
 * made from a blob; everything else is as strict as the dashboard's policy: own scripts only, no
 * inline script, no eval, and no request leaves this server.
 */
export const API_REFERENCE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  'worker-src blob:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HEADERS = {
  'content-security-policy': API_REFERENCE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const require = createRequire(import.meta.url);
const own = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const FILES = new Map<string, { path: string; type: string; cache: string }>([
  ['/docs', { path: own('index.html'), type: 'text/html; charset=utf-8', cache: 'no-store' }],
  ['/docs/init.js', { path: own('init.js'), type: 'text/javascript; charset=utf-8', cache: 'no-store' }],
  [
    '/docs/redoc.standalone.js',
    {
      path: require.resolve('redoc/bundles/redoc.standalone.js'),
      type: 'text/javascript; charset=utf-8',
      cache: 'max-age=3600',
    },
  ],
]);

/**
 * The browsable API reference at `/docs`: Redoc, from the `redoc` package, over `/v1/openapi.json`.
 * Returns false for any other path. Files are read on first use, so a server that never serves the
 * reference never loads Redoc's megabyte.
 */
export function apiReferenceRoute() {
  const loaded = new Map<string, Buffer>();
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname.replace(/^\/docs\/$/, '/docs');
    const file = FILES.get(path);
    if (!file) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed');
      return true;
    }
    let body = loaded.get(path);
    if (!body) {
      body = readFileSync(file.path);
      loaded.set(path, body);
    }
    res.writeHead(200, {
      ...HEADERS,
      'content-type': file.type,
      'content-length': String(body.length),
      'cache-control': file.cache,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
