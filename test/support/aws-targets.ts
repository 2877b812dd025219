import type { AwsTargetRequest, TargetOutcome } from '../../lambdas/core/ports/aws-target-caller.js';
import { apiHarness } from './api-harness.js';

export const NOW = Date.parse('2026-05-01T12:00:00.200Z');

export const ROLE = 'arn:aws:iam::123456789012:role/scheduler-target-orders';

export const QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/orders';

/** An AWS target caller that answers from a script and records each request. */
export function scriptedAws(answer: (r: AwsTargetRequest) => TargetOutcome) {
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

export function awsTargetSetup(answer: (r: AwsTargetRequest) => TargetOutcome = () => ok) {
  const h = apiHarness(NOW);
  const aws = scriptedAws(answer);
  h.deps.aws = aws.caller;
  return { ...h, aws };
}

export const ok: TargetOutcome = {
  kind: 'response',
  statusCode: 200,
  body: '',
  durationMs: 3,
  response: { messageId: 'm-1' },
};

export const sqsJob = (target: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  schedule: { type: 'immediate' },
  target: { type: 'sqs', queueUrl: QUEUE, body: 'run <scheduler.execution-id>', roleArn: ROLE, ...target },
  ...extra,
});
