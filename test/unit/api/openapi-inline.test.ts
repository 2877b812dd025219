import { describe, expect, it } from 'vitest';
import type { oas31 } from 'zod-openapi';
import { inlineRequestSchemas, mapDiscriminators } from '../../../lambdas/api/openapi-inline.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });

function documentWith(
  paths: Record<string, unknown>,
  schemas: Record<string, unknown>,
  requestBodies?: Record<string, unknown>,
): oas31.OpenAPIObject {
  return {
    openapi: '3.1.0',
    info: { title: 't', version: '1' },
    paths,
    components: { schemas, ...(requestBodies ? { requestBodies } : {}) },
  } as oas31.OpenAPIObject;
}

describe('inlineRequestSchemas', () => {
  const Target = {
    type: 'object',
    properties: { url: { type: 'string' }, method: { type: 'string', default: 'POST' } },
    required: ['url'],
  };
  const Body = { type: 'object', properties: { target: ref('Target') }, required: ['target'] };
  const TargetOutput = { ...Target, required: ['url', 'method'] };
  const Job = { type: 'object', properties: { target: ref('TargetOutput') } };

  it('writes request bodies and parameters out in full, and drops what only they used', () => {
    const result = inlineRequestSchemas(
      documentWith(
        {
          '/jobs': {
            post: {
              parameters: [{ name: 'x', in: 'header', schema: ref('Target') }],
              requestBody: json(ref('Body')),
              responses: { '201': { description: 'ok', ...json(ref('Job')) } },
            },
          },
        },
        { Body, Target, TargetOutput, Job },
      ),
    );
    const post = result.paths?.['/jobs']?.post;
    expect(post?.requestBody).toEqual(json({ ...Body, properties: { target: Target } }));
    expect(post?.parameters).toEqual([{ name: 'x', in: 'header', schema: Target }]);
    // Responses keep their components; the output twin takes the plain name its input twin left.
    expect(post?.responses?.['201']).toEqual({ description: 'ok', ...json(ref('Job')) });
    expect(result.components?.schemas).toEqual({
      Target: TargetOutput,
      Job: { ...Job, properties: { target: ref('Target') } },
    });
  });

  it('writes registered request bodies out in full too', () => {
    const result = inlineRequestSchemas(
      documentWith(
        { '/jobs': { post: { requestBody: { $ref: '#/components/requestBodies/Create' }, responses: {} } } },
        { Body, Target },
        { Create: json(ref('Body')) },
      ),
    );
    expect(result.components?.requestBodies?.Create).toEqual(
      json({ ...Body, properties: { target: Target } }),
    );
    expect(result.components?.schemas).toEqual({});
  });

  it('keeps a component a response still needs, under its own name', () => {
    const result = inlineRequestSchemas(
      documentWith(
        {
          '/t': {
            put: {
              requestBody: json(ref('Target')),
              responses: { '200': { description: 'ok', ...json(ref('Target')) } },
            },
          },
        },
        { Target, TargetOutput: Job },
      ),
    );
    expect(result.paths?.['/t']?.put?.requestBody).toEqual(json(Target));
    expect(result.components?.schemas).toEqual({ Target });
  });

  it('refuses a schema that refers to itself rather than looping', () => {
    const Node = { type: 'object', properties: { next: ref('Node') } };
    expect(() =>
      inlineRequestSchemas(
        documentWith({ '/n': { post: { requestBody: json(ref('Node')), responses: {} } } }, { Node }),
      ),
    ).toThrow('schema Node refers to itself');
  });
});

describe('mapDiscriminators', () => {
  const member = (type: string, required: string[]) => ({
    type: 'object',
    properties: { type: { type: 'string', const: type }, url: { type: 'string' } },
    required,
  });
  const union = (members: unknown[]) => ({ oneOf: members, discriminator: { propertyName: 'type' } });

  it('maps each named member’s constant to its schema', () => {
    const result = mapDiscriminators(
      documentWith(
        {},
        {
          Http: member('http', ['type', 'url']),
          Sqs: member('sqs', ['type']),
          Target: union([ref('Http'), ref('Sqs')]),
        },
      ),
    );
    expect(result.components?.schemas?.Target).toEqual({
      oneOf: [ref('Http'), ref('Sqs')],
      discriminator: {
        propertyName: 'type',
        mapping: { http: '#/components/schemas/Http', sqs: '#/components/schemas/Sqs' },
      },
    });
  });

  it('drops it where a member may leave the property out, or is written out', () => {
    const optional = mapDiscriminators(
      documentWith(
        {},
        {
          Http: member('http', ['url']),
          Sqs: member('sqs', ['type']),
          Target: union([ref('Http'), ref('Sqs')]),
        },
      ),
    );
    expect(optional.components?.schemas?.Target).toEqual({ oneOf: [ref('Http'), ref('Sqs')] });
    const inline = mapDiscriminators(
      documentWith(
        {
          '/t': {
            post: {
              requestBody: json(union([member('http', ['type']), member('sqs', ['type'])])),
              responses: {},
            },
          },
        },
        {},
      ),
    );
    expect(inline.paths?.['/t']?.post?.requestBody).toEqual(
      json({ oneOf: [member('http', ['type']), member('sqs', ['type'])] }),
    );
  });
});
