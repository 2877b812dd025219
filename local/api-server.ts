import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { REQUEST_BODY_LIMIT_BYTES } from '../lambdas/api/http.js';
import { type AllowedHosts, isAllowedHost } from './allowed-hosts.js';
import { apiReferenceRoute } from './api-reference/route.js';

export type ApiRequestHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
/** Serves paths outside the API (the dashboard); returns false when it does not handle the request. */
export type ExtraRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Paths that authenticate otherwise (no key): health, the OpenAPI document, execution callbacks. */
const OPEN_PATHS = [
  /^\/healthz$/,
  /^\/v1\/openapi\.json$/,
  /^\/v1\/executions\/[^/]+\/(heartbeat|complete)$/,
];

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too_large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > REQUEST_BODY_LIMIT_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too_large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The request as API Gateway's HTTP API hands it to a Lambda (payload 2.0), the tenant in the authorizer context. */
function apiGatewayEvent(
  req: IncomingMessage,
  url: URL,
  body: string | undefined,
  tenant: string | undefined,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams)
    query[name] = name in query ? `${query[name]},${value}` : value;
  const now = Date.now();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
      ...(tenant === undefined ? {} : { authorizer: { lambda: { tenant } } }),
    } as APIGatewayProxyEventV2['requestContext'],
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

/** The body as text, or the answer that refuses it (too large, not UTF-8). */
async function bodyOf(
  req: IncomingMessage,
): Promise<{ text: string | undefined } | { refused: [number, unknown] }> {
  const raw = await readBody(req);
  if (raw === 'too_large') {
    return {
      refused: [413, { error: { code: 'payload_too_large', message: 'request body exceeds 256 KiB' } }],
    };
  }
  try {
    return { text: raw.length ? new TextDecoder('utf-8', { fatal: true }).decode(raw) : undefined };
  } catch {
    return {
      refused: [400, { error: { code: 'invalid_json', message: 'request body is not valid UTF-8' } }],
    };
  }
}

/**
 * The local stand-in for API Gateway: answers only requests whose `Host` names this server (a
 * loopback name or address, or one in `allowedHosts`: DNS rebinding), checks `x-api-key` (keys map
 * to tenants), turns the request into an HTTP API payload 2.0 event with the tenant in the
 * authorizer context, and calls the same handler as the Lambda.
 */
export function createApiServer(
  handler: ApiRequestHandler,
  apiKeys: Map<string, string>,
  extra?: ExtraRoute,
  allowedHosts: AllowedHosts = new Set(),
): Server {
  const apiReference = apiReferenceRoute();
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    if (!isAllowedHost(req.headers.host, allowedHosts)) {
      return send(res, 421, {
        error: {
          code: 'host_not_allowed',
          message:
            'this local scheduler answers only requests for a loopback name or address (or a host listed in SCHEDULER_ALLOWED_HOSTS)',
        },
      });
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (apiReference(req, res) || extra?.(req, res)) return;
    const open = OPEN_PATHS.some((p) => p.test(url.pathname));
    const key = req.headers['x-api-key'];
    const tenant = typeof key === 'string' ? apiKeys.get(key) : undefined;
    if (!open && tenant === undefined) {
      const message = key === undefined ? 'x-api-key header is required' : 'unknown API key';
      return send(res, 401, { error: { code: 'unauthorized', message } });
    }
    const body = await bodyOf(req);
    if ('refused' in body) return send(res, ...body.refused);
    const result = await handler(apiGatewayEvent(req, url, body.text, tenant));
    res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
    res.end(result.body ?? '');
  };
  return createServer(async (req, res) => {
    try {
      await serve(req, res);
    } catch {
      if (!res.headersSent)
        send(res, 500, { error: { code: 'internal_error', message: 'local server error' } });
      else res.end();
    }
  });
}

export async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
