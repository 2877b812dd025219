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

/**
 * Redoc's sidebar footer loads Redocly's logo from their CDN (it has no option to turn that off);
 * an empty inline image takes its place, so the page asks nothing of any other host.
 */
export const REDOC_LOGO_URL = 'https://cdn.redoc.ly/redoc/logo-mini.svg';
const EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E";

const require = createRequire(import.meta.url);
const own = (file: string) => fileURLToPath(new URL(file, import.meta.url));

interface Asset {
  type: string;
  cache: string;
  load: () => Buffer;
}
const JS = 'text/javascript; charset=utf-8';
const ASSETS = new Map<string, Asset>([
  [
    '/docs',
    { type: 'text/html; charset=utf-8', cache: 'no-store', load: () => readFileSync(own('index.html')) },
  ],
  ['/docs/init.js', { type: JS, cache: 'no-store', load: () => readFileSync(own('init.js')) }],
  [
    '/docs/style.css',
    { type: 'text/css; charset=utf-8', cache: 'no-store', load: () => readFileSync(own('style.css')) },
  ],
  [
    '/docs/redoc.standalone.js',
    {
      type: JS,
      cache: 'max-age=3600',
      load: () =>
        Buffer.from(
          readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'), 'utf8').replaceAll(
            REDOC_LOGO_URL,
            EMPTY_IMAGE,
          ),
        ),
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
    const asset = ASSETS.get(path);
    if (!asset) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed');
      return true;
    }
    let body = loaded.get(path);
    if (!body) {
      body = asset.load();
      loaded.set(path, body);
    }
    res.writeHead(200, {
      ...HEADERS,
      'content-type': asset.type,
      'content-length': String(body.length),
      'cache-control': asset.cache,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
