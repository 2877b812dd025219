import { describe, expect, it } from 'vitest';
import type { AwsTargetRequest, TargetOutcome } from '../../../lambdas/core/ports/aws-target-caller.js';
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

describe('AWS-native targets through the API', () => {
  describe('create', () => {
    it('stores an sqs target and shows it back as given', async () => {
      // Act
      const created = await setup().request('POST', '/v1/jobs', sqsJob());

      // Assess
      expect(created.status).toBe(201);
      expect(created.body.target).toEqual({
        type: 'sqs',
        queueUrl: QUEUE,
        body: 'run <scheduler.execution-id>',
        roleArn: ROLE,
      });
    });

    it('a target without `type` is still http', async () => {
      const created = await setup().request('POST', '/v1/jobs', {
        schedule: { type: 'immediate' },
        target: { url: 'https://example.com/hook' },
      });
      expect(created.status).toBe(201);
      expect(created.body.target).toMatchObject({ type: 'http', method: 'POST' });
    });

    it.each([
      [
        'an unknown type',
        { type: 'kinesis', roleArn: ROLE },
        'target.type',
        'must be one of http, lambda, sqs, eventbridge, stepfunctions, sns',
      ],
      [
        'an sqs target without a role',
        { type: 'sqs', queueUrl: QUEUE, body: 'x' },
        'target.roleArn',
        undefined,
      ],
      [
        'a lambda target with an S3 ARN',
        { type: 'lambda', functionArn: 'arn:aws:s3:::bucket', roleArn: ROLE },
        'target.functionArn',
        undefined,
      ],
      [
        'a FIFO queue without a group',
        { type: 'sqs', queueUrl: `${QUEUE}.fifo`, body: 'x', roleArn: ROLE },
        'target.messageGroupId',
        'a FIFO queue needs a messageGroupId',
      ],
      [
        'an event detail that is not a JSON object',
        {
          type: 'eventbridge',
          eventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default',
          source: 'a',
          detailType: 'b',
          detail: '[1]',
          roleArn: ROLE,
        },
        'target.detail',
        'must be a JSON object',
      ],
      [
        'an http field on an sqs target',
        { type: 'sqs', queueUrl: QUEUE, body: 'x', roleArn: ROLE, url: 'https://example.com' },
        'target',
        undefined,
      ],
    ])('refuses %s with a 400 naming the field', async (_what, target, path, message) => {
      // Act
      const res = await setup().request('POST', '/v1/jobs', { schedule: { type: 'immediate' }, target });

      // Assess
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_error');
      const detail = res.body.error.details.find((d: { path: string }) => d.path === path);
      expect(detail).toBeDefined();
      if (message) expect(detail.message).toBe(message);
    });
  });

  describe('security', () => {
    it.each([
      [
        'a role outside the deployment’s pattern',
        'arn:aws:iam::123456789012:role/admin',
        'does not match the roles this deployment may assume (arn:aws:iam::*:role/scheduler-target-*)',
      ],
      [
        'a role of another partition',
        'arn:aws-cn:iam::123456789012:role/scheduler-target-orders',
        'is in partition "aws-cn"; this deployment runs in "aws"',
      ],
    ])('refuses %s with 400 target_not_allowed at create', async (_what, roleArn, message) => {
      // Act
      const s = setup();
      const res = await s.request('POST', '/v1/jobs', sqsJob({ roleArn }));

      // Assess
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'target_not_allowed',
        details: [{ path: 'target.roleArn', message }],
      });
      expect(await s.jobs.scanJobs()).toMatchObject({ items: [] });
    });

    it('refuses a malformed role ARN with 400', async () => {
      const res = await setup().request('POST', '/v1/jobs', sqsJob({ roleArn: 'arn:aws:iam::123:user/x' }));
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].path).toBe('target.roleArn');
    });

    it('refuses a queue URL that is not SQS in this partition (no requests to other hosts)', async () => {
      const res = await setup().request(
        'POST',
        '/v1/jobs',
        sqsJob({ queueUrl: 'https://169.254.169.254/123456789012/q' }),
      );
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'target_not_allowed',
        details: [{ path: 'target.queueUrl' }],
      });
    });

    it('refuses a PATCH to a role outside the pattern and keeps the stored target', async () => {
      // Prepare
      const s = setup();
      const created = await s.request('POST', '/v1/jobs', {
        ...sqsJob(),
        schedule: { type: 'once', at: '2026-06-01T00:00:00.000Z' },
      });

      // Act
      const res = await s.request('PATCH', `/v1/jobs/${created.body.id}`, {
        target: { ...created.body.target, roleArn: 'arn:aws:iam::123456789012:role/admin' },
      });

      // Assess
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('target_not_allowed');
      expect((await s.jobs.getJob(created.body.id))?.target).toMatchObject({ roleArn: ROLE });
    });

    it('keeps the SSRF rules for http targets only: a private URL is refused, an AWS target names no URL', async () => {
      const s = setup();
      const http = await s.request('POST', '/v1/jobs', {
        schedule: { type: 'immediate' },
        target: { url: 'http://10.0.0.1/hook' },
      });
      expect(http.status).toBe(400);
      expect(http.body.error.code).toBe('target_not_allowed');
      expect((await s.request('POST', '/v1/jobs', sqsJob())).status).toBe(201);
    });
  });
});
