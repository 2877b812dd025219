import { describe, expect, it } from 'vitest';
import { redeliveryDelaySeconds } from '../../lambdas/batch/redelivery.js';
import { RUN_REDELIVERY } from '../../lambdas/executor/redelivery.js';
import { NOTIFICATION_REDELIVERY } from '../../lambdas/notifier/redelivery.js';
import { redeliverySpanSeconds } from '../support/redelivery.js';

describe('redelivery policies', () => {
  it.each([
    [1, 5],
    [2, 10],
    [4, 40],
    [5, 60],
    [9, 60],
  ])('a run failed on receive %i comes back after %i s', (receiveCount, seconds) => {
    expect(redeliveryDelaySeconds(RUN_REDELIVERY, receiveCount)).toBe(seconds);
  });

  it('a run that keeps failing reaches its DLQ within minutes, a notification after about 15', () => {
    expect(redeliverySpanSeconds(RUN_REDELIVERY)).toBe(5 + 10 + 20 + 40 + 60 * 5);
    expect(redeliverySpanSeconds(NOTIFICATION_REDELIVERY)).toBe(5 + 10 + 20 + 40 + 80 + 160 + 300 + 300);
  });
});
