import { describe, expect, it } from 'vitest';
import { signatureHeader } from '../../../lambdas/core/signing.js';
import { awsTargetSetup, QUEUE, ROLE, sqsJob } from '../../support/aws-targets.js';

async function runFirst(s: ReturnType<typeof awsTargetSetup>) {
  const [run] = s.queue.take();
  return s.executor.handle(run!.message);
}

describe('Executing AWS targets', () => {
  it('hands the call, role and tenant to the AWS caller and records what the service returned', async () => {
    // Prepare
    const s = awsTargetSetup();
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
    const s = awsTargetSetup((r) => ({
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
    const s = awsTargetSetup(() => ({
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
    const s = awsTargetSetup();
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
    const s = awsTargetSetup();
    delete s.deps.aws;
    await s.request('POST', '/v1/jobs', sqsJob());
    expect(await runFirst(s)).toBe('failed');
  });
});
