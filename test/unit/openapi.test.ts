import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lambdas/api/openapi.js';
import { OPENAPI_PATH, openApiText } from '../../scripts/openapi.js';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
};
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every `$ref` in a JSON value. */
function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refsIn(v, out);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

/** `METHOD /path/{}` for each route the API serves, read from its route table. */
function servedRoutes(): string[] {
  const source = readFileSync(new URL('../../lambdas/api/app.ts', import.meta.url), 'utf8');
  return [...source.matchAll(/route\(\s*'([A-Z]+)',\s*'([^']+)'/g)].map(
    ([, method, path]) => `${method} ${path!.replace(/\{\w+\}/g, '{}')}`,
  );
}

describe('OpenAPI document', () => {
  const doc = openApiDocument() as Doc;

  it('is committed up to date as docs/openapi.json', () => {
    const committed = (() => {
      try {
        return readFileSync(OPENAPI_PATH, 'utf8');
      } catch {
        return '(missing)';
      }
    })();
    expect(
      committed === openApiText(),
      'docs/openapi.json is stale: run `npm run openapi` and commit the result',
    ).toBe(true);
  });

  it('is OpenAPI 3.1 and every $ref resolves to a component', () => {
    expect(doc.openapi).toBe('3.1.0');
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(10);
    const unresolved = refs.filter((ref) => {
      const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
      return name === undefined || !(name in doc.components.schemas);
    });
    expect(unresolved).toEqual([]);
  });

  it('documents every route the API serves, and nothing it does not', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((key) => METHODS.includes(key))
        .map((method) => `${method.toUpperCase()} ${path.replace(/\{\w+\}/g, '{}')}`),
    );
    const served = servedRoutes();
    expect(served.length).toBeGreaterThan(10);
    expect(
      served.filter((r) => !documented.includes(r)),
      'routes missing from openapi.ts',
    ).toEqual([]);
    expect(
      documented.filter((r) => !served.includes(r)),
      'documented but not served',
    ).toEqual([]);
  });

  it('gives every operation a success response and describes errors with the Error schema', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const operation = item[method];
        if (!operation) continue;
        const codes = Object.keys(operation.responses ?? {});
        expect(
          codes.some((c) => c.startsWith('2')),
          `${method} ${path} has a 2xx`,
        ).toBe(true);
      }
    }
    expect(JSON.stringify(doc.paths['/v1/jobs'])).toContain('#/components/schemas/Error');
  });

  it('carries the schemas’ constraints (generated from zod, not hand-written)', () => {
    const schemas = doc.components.schemas as Record<string, { properties?: Record<string, unknown> }>;
    expect(schemas.CreateJobBody?.properties?.timeoutSeconds).toMatchObject({ minimum: 1, maximum: 840 });
    expect(JSON.stringify(schemas.Schedule)).toContain('"cron"');
    expect(schemas.Execution?.properties).toHaveProperty('lateByMs');
  });
});
