import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { ExtraRoute } from './api-server.js';
import { OUTBOX_TYPES, type OutboxEntry, readOutbox } from './local-aws-targets.js';

/** Newest entries shown per request. */
const SHOWN = 50;

/**
 * `GET /local/aws-outbox`: the caller's tenant's latest outbox lines (eventbridge, stepfunctions and
 * sns targets of the local runtime), newest first, for the dashboard. Same `x-api-key` as the API.
 */
export function awsOutboxRoute(outboxDir: string, apiKeys: Map<string, string>): ExtraRoute {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path !== '/local/aws-outbox') return false;
    const send = (status: number, body: unknown) =>
      res
        .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        .end(JSON.stringify(body));
    if (req.method !== 'GET') {
      send(405, { error: { code: 'method_not_allowed', message: 'use GET' } });
      return true;
    }
    const key = req.headers['x-api-key'];
    const tenant = typeof key === 'string' ? apiKeys.get(key) : undefined;
    if (tenant === undefined) {
      send(401, {
        error: {
          code: 'unauthorized',
          message: key === undefined ? 'x-api-key header is required' : 'unknown API key',
        },
      });
      return true;
    }
    const items: (OutboxEntry & { type: string })[] = [];
    for (const type of OUTBOX_TYPES) {
      for (const entry of readOutbox(join(outboxDir, `${type}.jsonl`))) {
        if (entry.tenant === tenant) items.push({ type, ...entry });
      }
    }
    items.sort((a, b) => b.at.localeCompare(a.at));
    send(200, { items: items.slice(0, SHOWN) });
    return true;
  };
}
