import type { ArchiveRow } from '../../schemas/archive.js';
import type { ExecutionRecord } from '../../schemas/records.js';

/** A finished execution as the Executions table holds it once its run is over. */
export function aFinishedExecution(
  jobId: string,
  scheduledAt: string,
  overrides: Partial<ExecutionRecord> = {},
): ExecutionRecord {
  const finishedAt = new Date(Date.parse(scheduledAt) + 250).toISOString();
  return {
    executionId: `${jobId}:${scheduledAt}`,
    jobId,
    tenant: 'team-a',
    scheduledAt,
    trigger: 'schedule',
    status: 'succeeded',
    attempts: [
      {
        attempt: 1,
        startedAt: new Date(Date.parse(scheduledAt) + 12).toISOString(),
        finishedAt,
        status: 'succeeded',
        statusCode: 200,
        error: null,
        durationMs: 238,
      },
    ],
    rev: 3,
    startedAt: new Date(Date.parse(scheduledAt) + 12).toISOString(),
    finishedAt,
    lateByMs: 12,
    priority: 'normal',
    expiresAt: Math.floor(Date.parse(finishedAt) / 1000) + 3600,
    ...overrides,
  };
}

/** The archived line of such an execution. */
export function anArchiveRow(
  jobId: string,
  scheduledAt: string,
  overrides: Partial<ArchiveRow> = {},
): ArchiveRow {
  const item = aFinishedExecution(jobId, scheduledAt);
  return {
    tenant: item.tenant,
    executionId: item.executionId,
    jobId,
    scheduledAt,
    trigger: item.trigger,
    status: item.status,
    attempts: item.attempts,
    startedAt: item.startedAt ?? null,
    finishedAt: item.finishedAt ?? null,
    lateByMs: item.lateByMs ?? null,
    ...overrides,
  };
}
