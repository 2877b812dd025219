import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../lambdas/composition/config.js';

const required = {
  JOBS_TABLE: 'jobs',
  EXECUTIONS_TABLE: 'executions',
  RUN_QUEUE_HIGH_URL: 'h',
  RUN_QUEUE_NORMAL_URL: 'n',
  RUN_QUEUE_LOW_URL: 'l',
};

describe('configFromEnv: queue-ahead', () => {
  it('queues runs 900 s ahead unless told otherwise; 0 turns it off', () => {
    expect(configFromEnv(required).queueAheadSeconds).toBe(900);
    expect(configFromEnv({ ...required, SCHEDULER_QUEUE_AHEAD_SECONDS: '300' }).queueAheadSeconds).toBe(300);
    expect(configFromEnv({ ...required, SCHEDULER_QUEUE_AHEAD_SECONDS: '0' }).queueAheadSeconds).toBe(0);
  });

  it('refuses more than SQS can delay, and what is not a whole number of seconds', () => {
    for (const bad of ['901', '-1', '1.5', 'soon']) {
      expect(() => configFromEnv({ ...required, SCHEDULER_QUEUE_AHEAD_SECONDS: bad }), bad).toThrow();
    }
  });
});
