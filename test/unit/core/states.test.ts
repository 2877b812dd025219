import { describe, expect, it } from 'vitest';
import { InvalidState } from '../../../lambdas/core/errors.js';
import { cancelledExecution } from '../../../lambdas/core/execution/records.js';
import { claimed, replayed } from '../../../lambdas/core/execution/transitions.js';
import { canTransitionExecution, canTransitionJob, isFinal } from '../../../lambdas/core/states.js';
import type { ExecutionRecord } from '../../../schemas/records.js';
import { jobBody, setup } from '../../support/scheduler.js';

describe('transitions', () => {
  it('knows final states', () => {
    expect(
      ['succeeded', 'failed', 'timed_out', 'cancelled', 'dead', 'skipped'].every((s) => isFinal(s as never)),
    ).toBe(true);
    expect(isFinal('queued')).toBe(false);
    expect(isFinal('running')).toBe(false);
  });

  it.each([
    ['queued', 'running', true],
    ['running', 'succeeded', true],
    ['running', 'queued', true],
    ['succeeded', 'running', false],
    ['dead', 'queued', true],
    ['cancelled', 'queued', false],
  ] as const)('execution %s → %s: %s', (from, to, allowed) => {
    expect(canTransitionExecution(from, to)).toBe(allowed);
  });

  it.each([
    ['active', 'paused', true],
    ['paused', 'active', true],
    ['cancelled', 'active', false],
    ['completed', 'active', false],
  ] as const)('job %s → %s: %s', (from, to, allowed) => {
    expect(canTransitionJob(from, to)).toBe(allowed);
  });
});

describe('the execution transitions keep to the table', () => {
  const NOW = Date.parse('2026-05-01T12:00:00.000Z');
  const record = (status: ExecutionRecord['status']): ExecutionRecord => ({
    executionId: 'job_1:2026-05-01T12:00:00.000Z',
    jobId: 'job_1',
    tenant: 't',
    scheduledAt: '2026-05-01T12:00:00.000Z',
    trigger: 'schedule',
    status,
    attempts: [],
    rev: 3,
    priority: 'normal',
  });

  it('refuses to cancel, replay or claim what the table has no way out of', async () => {
    const s = setup();
    const job = await s.jobs.getJob(
      (await s.jobService.createJob('t', jobBody({ schedule: { type: 'cron', expression: '0 * * * *' } })))
        .jobId,
    );
    const lease = { owner: 'x', until: NOW + 60_000 };
    expect(() => cancelledExecution(record('succeeded'), NOW, 60)).toThrow(InvalidState);
    expect(() => replayed(record('failed'), job!, NOW, NOW)).toThrow(InvalidState);
    expect(() => claimed(record('cancelled'), job!, 'hash', lease)).toThrow(InvalidState);
    expect(cancelledExecution(record('queued'), NOW, 60).status).toBe('cancelled');
    expect(replayed(record('dead'), job!, NOW, NOW).status).toBe('queued');
    expect(claimed(record('queued'), job!, 'hash', lease).status).toBe('running');
  });
});
