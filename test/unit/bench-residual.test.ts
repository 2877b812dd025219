import { describe, expect, it } from 'vitest';
import { AwsMeter } from '../../bench/meter.js';
import { fakeClient } from '../support/meter-client.js';

describe('the meter, on the local runtime whose run queues hand scheduled runs over early', () => {
  it('counts the residual of runs the local queues sent early with the delay AWS would have given them', async () => {
    const clock = Date.parse('2026-01-01T00:00:00.400Z');
    const meter = new AwsMeter({ now: () => clock, handOverAheadSeconds: 3 });
    const sqs = fakeClient();
    meter.attach(sqs.host, 'sqs');
    const body = (at: string, trigger: string, attempt = 1) =>
      JSON.stringify({ executionId: `J:${at}`, jobId: 'J', scheduledAt: at, trigger, attempt });
    await sqs.send(
      'SendMessageBatch',
      {
        QueueUrl: 'q',
        Entries: [
          // due at :10, sent with 6 s instead of AWS's 9: AWS makes it visible at :09.400, 600 ms ahead
          { Id: '0', MessageBody: body('2026-01-01T00:00:10.000Z', 'schedule'), DelaySeconds: 6 },
          // due at :02.000, the lead took its delay to 0: AWS would have sent it with 1 s, 600 ms ahead
          { Id: '1', MessageBody: body('2026-01-01T00:00:02.000Z', 'schedule'), DelaySeconds: 0 },
          // a retry is sent as AWS sends it: its residual is as measured
          { Id: '2', MessageBody: body('2026-01-01T00:00:05.000Z', 'schedule', 2), DelaySeconds: 4 },
        ],
      },
      () => ({}),
    );
    const counts = meter.snapshot();
    expect(counts['sqs.residual.messages']).toBe(3);
    expect(counts['sqs.residual.ms']).toBe(600 + 600 + 600);
  });
});
