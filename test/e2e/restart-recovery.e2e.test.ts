import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { startTestRuntime, tempDataDir } from '../support/runtime.js';

interface HealthAnswer {
  status: string;
  recovery: { state: string; resent: number; startedAt: string; finishedAt?: string };
}

/** A journal of a last session that left `count` run messages queued, due in ten minutes. */
function leftQueued(dataDir: string, count: number, dueAt: number): void {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify(['s', `m-${i}`, 'run-low', dueAt, JSON.stringify({ left: i })]),
  );
  writeFileSync(join(dataDir, 'queue-journal.jsonl'), `${lines.join('\n')}\n`);
}

describe('restart recovery in the background', () => {
  const data = tempDataDir();
  let runtime: LocalRuntime | undefined;
  afterAll(async () => {
    await runtime?.stop();
    data.remove();
  });

  it('answers GET /healthz at once while it puts the last session’s messages back, then says it is done', async () => {
    // Prepare: 20,000 messages left on the queues by a killed session.
    const count = 20_000;
    leftQueued(data.dir, count, Date.now() + 600_000);
    // Act
    runtime = await startTestRuntime(data.dir);
    const during = await fetch(`${runtime.url}/healthz`);
    const duringBody = (await during.json()) as HealthAnswer;
    const done = await runtime.recovered;
    const after = (await (await fetch(`${runtime.url}/healthz`)).json()) as HealthAnswer;
    // Assess
    expect(during.status).toBe(200);
    expect(duringBody).toMatchObject({ status: 'ok', recovery: { state: 'running', via: 'queue journal' } });
    expect(duringBody.recovery.resent).toBeLessThan(count);
    expect(done).toMatchObject({ state: 'done', toResend: count, resent: count });
    expect(after).toEqual({ status: 'ok', recovery: { ...done } });
    expect(Date.parse(after.recovery.finishedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(after.recovery.startedAt),
    );
    const queue = await runtime.queues.client.send(
      new GetQueueAttributesCommand({ QueueUrl: runtime.queues.urls.low, AttributeNames: ['All'] }),
    );
    expect(Number(queue.Attributes?.ApproximateNumberOfMessagesDelayed)).toBe(count);
  });

  it('starts the next session from this one’s journal only: what was replayed is not replayed twice', async () => {
    await runtime!.stop();
    runtime = await startTestRuntime(data.dir);
    // The 20,000 replayed messages are this session's to replay, once.
    expect(await runtime.recovered).toMatchObject({ state: 'done', toResend: 20_000, resent: 20_000 });
  });
});
