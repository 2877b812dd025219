import { describe, expect, expectTypeOf, it } from 'vitest';
import type {
  CompleteRequest,
  CreateJobBody,
  HeartbeatResponse,
  Job,
  JobPatch,
  PreviewRequest,
  PreviewResponse,
} from '../../client/index.js';
import { CompleteBody, PreviewBody } from '../../schemas/api.js';
import { CreateJobBody as CreateJobSchema, PatchJobBody } from '../../schemas/job.js';

/**
 * The typed client's types follow the OpenAPI document's rule: what a client sends is the schema's
 * input (defaulted fields may be left out), what it receives is the output (they are all there).
 * `npm run typecheck` checks the types; the runtime checks that the API accepts the same values.
 */
describe('typed client types', () => {
  const smallest: CreateJobBody = {
    schedule: { type: 'once', at: '2026-03-08T07:00:00Z' },
    target: { url: 'https://example.com/hook' },
  };
  const clear: JobPatch = { name: null, concurrency: null };
  const preview: PreviewRequest = { schedule: { type: 'cron', expression: '30 2 * * *' } };
  const complete: CompleteRequest = { status: 'succeeded' };

  it('send what the API accepts, defaults left out', () => {
    expectTypeOf<CreateJobBody['timeoutSeconds']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<Extract<CreateJobBody['target'], { url: string }>['method']>().toEqualTypeOf<
      'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | undefined
    >();
    expectTypeOf<JobPatch['name']>().toEqualTypeOf<string | null | undefined>();
    expect(CreateJobSchema.safeParse(smallest).success).toBe(true);
    expect(PatchJobBody.safeParse(clear).success).toBe(true);
    expect(PreviewBody.safeParse(preview).success).toBe(true);
    expect(CompleteBody.safeParse(complete).success).toBe(true);
  });

  it('receive resources with every default filled in', () => {
    expectTypeOf<Job['timeoutSeconds']>().toEqualTypeOf<number>();
    type Http = Extract<Job['target'], { type: 'http' }>;
    expectTypeOf<Http['method']>().toEqualTypeOf<'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'>();
    expectTypeOf<Http['headers']>().toEqualTypeOf<Record<string, string>>();
    expectTypeOf<Job['retry']['maxAttempts']>().toEqualTypeOf<number>();
    expectTypeOf<PreviewResponse>().toEqualTypeOf<{ runs: string[] }>();
    expectTypeOf<HeartbeatResponse>().toEqualTypeOf<{ leaseUntil: string }>();
  });
});
