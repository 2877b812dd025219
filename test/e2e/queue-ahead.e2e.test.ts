import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { e2eRuntime } from '../support/runtime.js';

const everyMinute = { type: 'cron', expression: '* * * * *', timezone: 'UTC' };

/** Messages the normal run queue holds back (DelaySeconds) right now. */
async function delayedRuns(world: ReturnType<typeof e2eRuntime>): Promise<number> {
  const { queues } = world.runtime;
  const out = await queues.client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queues.urls.normal,
      AttributeNames: ['ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessages'],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessagesDelayed ?? 0) +
    Number(out.Attributes?.ApproximateNumberOfMessages ?? 0)
  );
}

/** Creates a minute cron through the API; its answer and how many runs the queue then holds. */
async function minuteCron(world: ReturnType<typeof e2eRuntime>) {
  const created = await world.api('POST', '/v1/jobs', {
    schedule: everyMinute,
    target: { url: `${world.sink.url}/cron` },
  });
  expect(created.status).toBe(201);
  return { created, queued: await delayedRuns(world) };
}

describe('npm start queues a job runs 15 minutes ahead by default', () => {
  const world = e2eRuntime();

  it('a new minute cron has its next 14 or 15 runs on the queue, and the API shows the next one', async () => {
    const { created, queued } = await minuteCron(world);
    expect(queued).toBeGreaterThanOrEqual(14);
    expect(queued).toBeLessThanOrEqual(15);
    expect(Date.parse(created.body.nextRunAt) - Date.now()).toBeLessThanOrEqual(60_000);
  });
});

describe('queueAheadSeconds 0 queues only the look-ahead', () => {
  const world = e2eRuntime({ runtime: { queueAheadSeconds: 0 } });

  it('a new minute cron has at most its look-ahead two runs on the queue', async () => {
    const { queued } = await minuteCron(world);
    expect(queued).toBeGreaterThanOrEqual(1);
    expect(queued).toBeLessThanOrEqual(2);
  });
});
