import { describe, expect, it } from 'vitest';
import { awsTargetSetup, QUEUE, ROLE, sqsJob } from '../../support/aws-targets.js';

describe('AWS-native targets through the API', () => {
  describe('create', () => {
    it('stores an sqs target and shows it back as given', async () => {
      // Act
      const created = await awsTargetSetup().request('POST', '/v1/jobs', sqsJob());

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
      const created = await awsTargetSetup().request('POST', '/v1/jobs', {
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
      const res = await awsTargetSetup().request('POST', '/v1/jobs', {
        schedule: { type: 'immediate' },
        target,
      });

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
      const s = awsTargetSetup();
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
      const res = await awsTargetSetup().request(
        'POST',
        '/v1/jobs',
        sqsJob({ roleArn: 'arn:aws:iam::123:user/x' }),
      );
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].path).toBe('target.roleArn');
    });

    it('refuses a queue URL that is not SQS in this partition (no requests to other hosts)', async () => {
      const res = await awsTargetSetup().request(
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
      const s = awsTargetSetup();
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
      const s = awsTargetSetup();
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
