import { describe, expect, it } from 'vitest';
import type { AwsTargetRequest, TargetOutcome } from '../../../lambdas/core/ports/aws-target-caller.js';
import { signatureHeader } from '../../../lambdas/core/signing.js';
import { apiHarness } from '../../support/api-harness.js';

const NOW = Date.parse('2026-05-01T12:00:00.200Z');

const ROLE = 'arn:aws:iam::123456789012:role/scheduler-target-orders';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/orders';

/** An AWS target caller that answers from a script and records each request. */
function scriptedAws(answer: (r: AwsTargetRequest) => TargetOutcome) {
  const requests: AwsTargetRequest[] = [];
  return {
    requests,
    caller: {
      async call(request: AwsTargetRequest) {
        requests.push(request);
        return answer(request);
      },
    },
  };
}

function setup(answer: (r: AwsTargetRequest) => TargetOutcome = () => ok) {
  const h = apiHarness(NOW);
  const aws = scriptedAws(answer);
  h.deps.aws = aws.caller;
  return { ...h, aws };
}

const ok: TargetOutcome = {
  kind: 'response',
  statusCode: 200,
  body: '',
  durationMs: 3,
  response: { messageId: 'm-1' },
};

const sqsJob = (target: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  schedule: { type: 'immediate' },
  target: { type: 'sqs', queueUrl: QUEUE, body: 'run <scheduler.execution-id>', roleArn: ROLE, ...target },
  ...extra,
});

async function runFirst(s: ReturnType<typeof setup>) {
  const [run] = s.queue.take();
  return s.executor.handle(run!.message);
}

describe('Executing AWS targets', () => {
  it('hands the call, role and tenant to the AWS caller and records what the service returned', async () => {
    // Prepare
    const s = setup();
    const created = await s.request('POST', '/v1/jobs', sqsJob());

    // Act
    const outcome = await runFirst(s);

    // Assess
    expect(outcome).toBe('succeeded');
    const [request] = s.aws.requests;
    const executionId = `${created.body.id}:2026-05-01T12:00:00.200Z`;
    expect(request).toMatchObject({
      roleArn: ROLE,
      tenant: 'team-a',
      executionId,
      timeoutMs: 30_000,
      call: { service: 'sqs', input: { QueueUrl: QUEUE, MessageBody: `run ${executionId}` } },
    });
    const execution = await s.request('GET', `/v1/executions/${encodeURIComponent(executionId)}`);
    expect(execution.body.attempts[0]).toMatchObject({
      status: 'succeeded',
      statusCode: 200,
      response: { messageId: 'm-1' },
    });
    expect(s.http.requests).toEqual([]);
  });

  it('a permanent error ends the execution as failed after one attempt; a retryable one retries', async () => {
    // Prepare
    const s = setup((r) => ({
      kind: 'error',
      error: r.call.service === 'sqs' ? 'permanent: sqs AccessDenied: no' : 'x',
      timedOut: false,
      aborted: false,
      durationMs: 1,
    }));
    await s.request('POST', '/v1/jobs', sqsJob());

    // Act
    const outcome = await runFirst(s);

    // Assess
    expect(outcome).toBe('failed');
    expect(s.queue.sent).toEqual([]);
  });

  it('a throttled attempt is retried under the job’s policy', async () => {
    const s = setup(() => ({
      kind: 'error',
      error: 'sqs ThrottlingException: slow down',
      timedOut: false,
      aborted: false,
      durationMs: 1,
    }));
    await s.request('POST', '/v1/jobs', sqsJob());
    expect(await runFirst(s)).toBe('retrying');
    expect(s.queue.sent[0]?.message.attempt).toBe(2);
  });

  it('fills placeholders in HTTP bodies too, and signs the filled body', async () => {
    // Prepare
    const s = setup();
    const created = await s.request('POST', '/v1/jobs', {
      schedule: { type: 'immediate' },
      target: {
        url: 'https://example.com/hook',
        body: '{"run":"<scheduler.execution-id>","job":"<scheduler.job-id>","at":"<scheduler.scheduled-time>","n":<scheduler.attempt>}',
      },
    });

    // Act
    await runFirst(s);

    // Assess
    const [sent] = s.http.requests;
    expect(JSON.parse(sent!.body!)).toEqual({
      run: `${created.body.id}:2026-05-01T12:00:00.200Z`,
      job: created.body.id,
      at: '2026-05-01T12:00:00.200Z',
      n: 1,
    });
    const t = Number(/^t=(\d+),/.exec(sent!.headers['x-scheduler-signature']!)?.[1]);
    expect(sent!.headers['x-scheduler-signature']).toBe(signatureHeader('secret', t, sent!.body!));
  });

  it('fails an AWS target for good where no AWS caller is configured', async () => {
    const s = setup();
    delete s.deps.aws;
    await s.request('POST', '/v1/jobs', sqsJob());
    expect(await runFirst(s)).toBe('failed');
  });
});
