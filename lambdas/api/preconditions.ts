import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { VersionMatch } from '../core/lifecycle.js';
import { header } from './http.js';

/**
 * `If-Match` as versions: `"3"` (our ETag), also `W/"3"` and a bare `3`, or a comma-separated list
 * of them; `*` matches any version. A tag that names no version matches none (412).
 */
export function ifMatchOf(event: APIGatewayProxyEventV2): VersionMatch | undefined {
  const value = header(event, 'if-match');
  if (value === undefined) return undefined;
  if (value.trim() === '*') return { any: true };
  const versions = value
    .split(',')
    .map((tag) => /^(?:W\/)?"(\d{1,15})"$|^(\d{1,15})$/.exec(tag.trim()))
    .flatMap((match) => (match ? [Number(match[1] ?? match[2])] : []));
  return { versions };
}
