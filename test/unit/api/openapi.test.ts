import { readFileSync } from 'node:fs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { type FetchLike, SchedulerClient } from '../../../client/index.js';
import { openApiDocument, openApiDocumentFor, requestOrigin } from '../../../lambdas/api/openapi.js';
import { CompleteBody, PreviewBody } from '../../../schemas/api.js';
import { Execution } from '../../../schemas/execution.js';
import { CreateJobBody, Job, PatchJobBody } from '../../../schemas/job.js';
import { NotificationPayload } from '../../../schemas/notification.js';
import { OPENAPI_PATH, openApiText } from '../../../scripts/openapi.js';
import { apiHarness } from '../../support/api-harness.js';

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  default?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
};
type Media = { schema: Schema; examples?: Record<string, { value: unknown }> };
type Response = { $ref?: string; content?: Record<string, Media>; headers?: Record<string, unknown> };
type Operation = {
  operationId?: string;
  tags?: string[];
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; schema: Schema; required?: boolean }[];
  requestBody?: { $ref?: string; content?: Record<string, Media> };
  responses: Record<string, Response>;
};
type Doc = {
  openapi: string;
  info: { license?: { name: string }; contact?: { name?: string } };
  servers: { url: string }[];
  tags: { name: string }[];
  security: Record<string, string[]>[];
  paths: Record<string, Record<string, Operation>>;
  webhooks: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, Schema>;
    responses: Record<string, Response>;
    requestBodies: Record<string, { content: Record<string, Media> }>;
    securitySchemes: Record<string, { type: string }>;
  };
};
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
const doc = openApiDocument() as unknown as Doc;

function operations(): { path: string; method: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method]! })),
  );
}
function resolve<T>(value: T & { $ref?: string }): T {
  if (!value.$ref) return value;
  const [, , kind, name] = value.$ref.split('/');
  return (doc.components as unknown as Record<string, Record<string, T>>)[kind!]![name!]!;
}
const bodyOf = (op: Operation) => resolve(op.requestBody!).content!['application/json']!;
const responseOf = (op: Operation, code: string) =>
  resolve(op.responses[code]!).content!['application/json']!;
const schemaOf = (schema: Schema) => resolve(schema);
/** The `http` member of the target union (written out in requests, named in responses). */
function httpMember(target: Schema): Schema {
  const members = (schemaOf(target).oneOf ?? []).map(schemaOf);
  const http = members.find((m) => (m.properties?.type as { const?: string } | undefined)?.const === 'http');
  if (!http) throw new Error('no http member in the target union');
  return http;
}

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
  const source = readFileSync(new URL('../../../lambdas/api/routes.ts', import.meta.url), 'utf8');
  return [...source.matchAll(/route\(\s*'([A-Z]+)',\s*'([^']+)'/g)].map(
    ([, method, path]) => `${method} ${path!.replace(/\{\w+\}/g, '{}')}`,
  );
}

describe('OpenAPI document', () => {
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
      const [hash, components, kind, name] = ref.split('/');
      const group = (doc.components as unknown as Record<string, Record<string, unknown>>)[kind ?? ''];
      return hash !== '#' || components !== 'components' || !group || !(name! in group);
    });
    expect(unresolved).toEqual([]);
  });

  it('documents every route the API serves, and nothing it does not', () => {
    const documented = operations().map(
      ({ path, method }) => `${method.toUpperCase()} ${path.replace(/\{\w+\}/g, '{}')}`,
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

  it('names servers, a licence and a contact', () => {
    expect(doc.servers.map((s) => s.url)).toEqual([
      'http://127.0.0.1:3000',
      'https://{apiId}.execute-api.{region}.amazonaws.com',
    ]);
    expect(doc.info.license?.name).toMatch(/UNLICENSED/);
    expect(doc.info.contact?.name).toBeTruthy();
  });

  describe('operations', () => {
    it('each has a unique operationId, a declared tag, a summary and an example', () => {
      const tags = doc.tags.map((t) => t.name);
      const ids = operations().map(({ op }) => op.operationId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const { path, method, op } of operations()) {
        const where = `${method} ${path}`;
        expect(op.operationId, where).toMatch(/^[a-z][A-Za-z]+$/);
        expect(op.tags?.length, where).toBe(1);
        expect(tags, where).toContain(op.tags![0]);
        expect(op.summary, where).toBeTruthy();
        const media = [
          ...(op.requestBody ? [bodyOf(op)] : []),
          ...Object.keys(op.responses).flatMap(
            (code) => resolve(op.responses[code]!).content?.['application/json'] ?? [],
          ),
        ];
        expect(
          media.some((m) => Object.keys(m.examples ?? {}).length > 0),
          `${where} has an example`,
        ).toBe(true);
      }
    });

    it('each lists its 4xx answers with the error shape', () => {
      const errorShapes = ['#/components/schemas/Error', '#/components/schemas/GatewayError'];
      for (const { path, method, op } of operations()) {
        const fourXx = Object.keys(op.responses).filter((code) => code.startsWith('4'));
        expect(fourXx.length, `${method} ${path} has 4xx responses`).toBeGreaterThan(0);
        for (const code of fourXx) {
          const schema = responseOf(op, code).schema;
          const refs = schema.$ref ? [schema.$ref] : (schema.anyOf ?? schema.oneOf ?? []).map((s) => s.$ref);
          expect(
            refs.some((ref) => ref !== undefined && errorShapes.includes(ref)),
            `${method} ${path} ${code}`,
          ).toBe(true);
        }
      }
    });

    it('asks client operations for the API key, SigV4 or a JWT, callbacks for their token, and nothing of health and the document', () => {
      expect(doc.security).toEqual([{ apiKey: [] }, { sigv4: [] }, { jwt: [] }]);
      expect(Object.keys(doc.components.securitySchemes).sort()).toEqual([
        'apiKey',
        'callbackBearer',
        'callbackToken',
        'jwt',
        'sigv4',
      ]);
      const security = Object.fromEntries(operations().map(({ op }) => [op.operationId, op.security]));
      expect(security.health).toEqual([]);
      expect(security.openApi).toEqual([]);
      expect(security.heartbeat).toEqual([{ callbackToken: [] }, { callbackBearer: [] }]);
      expect(security.complete).toEqual([{ callbackToken: [] }, { callbackBearer: [] }]);
      const overridden = Object.entries(security)
        .filter(([, s]) => s !== undefined)
        .map(([id]) => id);
      expect(overridden.sort()).toEqual(['complete', 'health', 'heartbeat', 'openApi']);
    });

    it('answer 401, 403 and 429 wherever a client credential is asked for', () => {
      for (const { path, method, op } of operations()) {
        if (op.security) continue;
        expect(Object.keys(op.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining(['400', '401', '403', '429']),
        );
      }
    });

    it('keeps notifications under webhooks, with the payload and its signature header', () => {
      const notification = doc.webhooks.notification?.post;
      expect(notification?.requestBody).toBeDefined();
      expect(bodyOf(notification!).schema.$ref).toBe('#/components/schemas/Notification');
      expect(notification?.parameters?.map((p) => p.name)).toContain('X-Scheduler-Signature');
      expect(Object.keys(doc.paths).some((p) => p.includes('notification'))).toBe(false);
    });
  });

  describe('the input and output rule', () => {
    const byId = Object.fromEntries(operations().map(({ op }) => [op.operationId!, op]));

    it('describes a create body as the API accepts it: only schedule and target required, defaults shown', () => {
      const schema = bodyOf(byId.createJob!).schema;
      expect(schema.$ref, 'request schemas are written out, not referenced').toBeUndefined();
      expect(schema.required).toEqual(['schedule', 'target']);
      expect(schema.properties?.timeoutSeconds).toMatchObject({ default: 30, minimum: 1, maximum: 840 });
      const target = httpMember(schema.properties!.target!);
      expect(target.required).toEqual(['url']);
      expect(target.properties?.method).toMatchObject({ default: 'POST' });
      expect(target.properties?.headers).toMatchObject({ default: {} });
      const cron = (schema.properties!.schedule!.oneOf ?? []).find(
        (s) => (s.properties?.type as { const?: string } | undefined)?.const === 'cron',
      );
      expect(cron?.required).toEqual(['type', 'expression']);
      // Members of a union told apart by `type` are named after it (Redoc shows "cron", not "object").
      expect((schema.properties!.schedule!.oneOf ?? []).map((s) => (s as { title?: string }).title)).toEqual(
        expect.arrayContaining(['once', 'immediate', 'cron', 'rate', 'dependency']),
      );
      expect(cron?.properties?.timezone).toMatchObject({ default: 'UTC' });
    });

    it('describes a job as the API returns it: every defaulted field present', () => {
      const job = schemaOf(responseOf(byId.getJob!, '200').schema);
      expect(job.required).toEqual(
        expect.arrayContaining([
          'id',
          'schedule',
          'target',
          'timeoutSeconds',
          'retry',
          'priority',
          'version',
        ]),
      );
      const target = httpMember(job.properties!.target!);
      expect(target.required).toEqual(expect.arrayContaining(['type', 'url', 'method', 'headers']));
      expect(job).not.toHaveProperty('additionalProperties');
    });

    it('describes query parameters as the API accepts them', () => {
      const limit = byId.listJobs!.parameters?.find((p) => p.name === 'limit');
      expect(limit).toMatchObject({
        in: 'query',
        schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
      });
      expect(limit?.required).toBeFalsy();
    });
  });

  describe('examples', () => {
    const byId = Object.fromEntries(operations().map(({ op }) => [op.operationId!, op]));
    const examplesOf = (media: Media) => Object.values(media.examples ?? {}).map((e) => e.value);
    const requestSchemas: Record<string, z.ZodType> = {
      createJob: CreateJobBody,
      updateJob: PatchJobBody,
      previewSchedule: PreviewBody,
      complete: CompleteBody,
    };

    it('request examples are bodies the API accepts', () => {
      for (const [operationId, schema] of Object.entries(requestSchemas)) {
        const examples = examplesOf(bodyOf(byId[operationId]!));
        expect(examples.length, operationId).toBeGreaterThan(0);
        for (const example of examples) expect(schema.safeParse(example).error, operationId).toBeUndefined();
      }
    });

    it('response examples are resources as the API returns them', () => {
      const outputs: [string, string, z.ZodType, (value: unknown) => unknown[]][] = [
        ['getJob', '200', Job, (v) => [v]],
        ['listJobs', '200', Job, (v) => (v as { items: unknown[] }).items],
        ['getExecution', '200', Execution, (v) => [v]],
        ['listDeadLetters', '200', Execution, (v) => (v as { items: unknown[] }).items],
        ['replayDeadLetter', '202', Execution, (v) => [v]],
      ];
      for (const [operationId, code, schema, itemsOf] of outputs) {
        const items = examplesOf(responseOf(byId[operationId]!, code)).flatMap(itemsOf);
        expect(items.length, operationId).toBeGreaterThan(0);
        // Parsing an output again changes nothing: every default is already there.
        for (const item of items) expect(schema.parse(item), operationId).toEqual(item);
      }
      const notification = examplesOf(bodyOf(doc.webhooks.notification!.post!));
      expect(NotificationPayload.parse(notification[0])).toEqual(notification[0]);
    });
  });

  describe('the served document', () => {
    it('puts the server that answered first, then the others', () => {
      const served = openApiDocumentFor('https://abc123defg.execute-api.eu-west-1.amazonaws.com');
      expect(served.servers?.map((s) => s.url)).toEqual([
        'https://abc123defg.execute-api.eu-west-1.amazonaws.com',
        'http://127.0.0.1:3000',
        'https://{apiId}.execute-api.{region}.amazonaws.com',
      ]);
      expect(openApiDocumentFor('http://127.0.0.1:3000').servers?.map((s) => s.url)).toEqual([
        'http://127.0.0.1:3000',
        'https://{apiId}.execute-api.{region}.amazonaws.com',
      ]);
      expect(openApiDocumentFor(undefined)).toBe(openApiDocument());
    });

    it('knows its origin from API Gateway’s domain name and scheme, or the local Host', () => {
      const event = (domainName: string | undefined, headers: Record<string, string>) =>
        ({ headers, requestContext: { domainName } }) as unknown as APIGatewayProxyEventV2;
      expect(
        requestOrigin(
          event('abc123defg.execute-api.eu-west-1.amazonaws.com', { 'x-forwarded-proto': 'https' }),
        ),
      ).toBe('https://abc123defg.execute-api.eu-west-1.amazonaws.com');
      expect(requestOrigin(event('scheduler.example.com', { 'x-forwarded-proto': 'https' }))).toBe(
        'https://scheduler.example.com',
      );
      expect(requestOrigin(event(undefined, { host: '127.0.0.1:3103' }))).toBe('http://127.0.0.1:3103');
      expect(requestOrigin(event(undefined, { host: '[::1]:3103' }))).toBe('http://[::1]:3103');
      expect(requestOrigin(event('evil.example/"><script>', {}))).toBeUndefined();
      expect(requestOrigin(event('api.example.com', { 'x-forwarded-proto': 'javascript' }))).toBeUndefined();
      expect(requestOrigin(event(undefined, {}))).toBeUndefined();
    });

    it('is what GET /v1/openapi.json answers, without credentials', async () => {
      const api = apiHarness(Date.parse('2026-03-08T07:00:00.000Z'));
      const response = await api.request(
        'GET',
        '/v1/openapi.json',
        undefined,
        { host: '127.0.0.1:3103' },
        '',
      );
      expect(response.status).toBe(200);
      expect(response.body.servers[0]).toEqual({
        url: 'http://127.0.0.1:3103',
        description: 'The server that served this document',
      });
      expect(response.body.paths).toEqual(JSON.parse(JSON.stringify(doc.paths)));
    });
  });

  describe('operationIds and the typed client', () => {
    /** Calls each client method named by an operationId and records the request it makes. */
    async function requestOf(operationId: string): Promise<string> {
      let seen = '';
      const fetch: FetchLike = async (input, init) => {
        seen = `${init.method} ${new URL(input).pathname}`;
        return new Response('{}', { status: 200, headers: { 'content-type': 'application/json' } });
      };
      const client = new SchedulerClient({ endpoint: 'http://127.0.0.1:3000', apiKey: 'k', fetch });
      const method = (client as unknown as Record<string, unknown>)[operationId];
      expect(typeof method, `SchedulerClient.${operationId}`).toBe('function');
      // Path parameters first (as `P`), then a body or query where the method takes one.
      const args = ['P', 'P', {}, {}].slice(0, (method as () => void).length);
      await (method as (...a: unknown[]) => Promise<unknown>).apply(client, args);
      return seen;
    }

    it('every operation is a SchedulerClient method of the same name that calls it', async () => {
      for (const { path, method, op } of operations()) {
        const expected = `${method.toUpperCase()} ${path.replace(/\{\w+\}/g, 'P')}`;
        expect(await requestOf(op.operationId!), op.operationId).toBe(expected);
      }
    });
  });
});
