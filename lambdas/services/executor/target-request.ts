import type { ExecutionRecord, JobRecord } from '../../../schemas/records.js';
import { awsCallFor, PERMANENT_PREFIX } from '../../core/aws-targets.js';
import { type DeliveryContext, fillPlaceholders } from '../../core/placeholders.js';
import type { TargetOutcome } from '../../core/ports/aws-target-caller.js';
import { signatureHeader } from '../../core/signing.js';
import type { ServiceDeps } from '../service-deps.js';

export interface TargetAttempt {
  job: JobRecord;
  execution: ExecutionRecord;
  attempt: number;
  /** The execution's callback token (async HTTP targets heartbeat and complete with it). */
  token: string;
  /** When the attempt started (signature timestamp, EventBridge event time). */
  startedAt: number;
  signal: AbortSignal;
}

function contextOf(a: TargetAttempt): DeliveryContext {
  return {
    executionId: a.execution.executionId,
    jobId: a.job.jobId,
    scheduledTime: a.execution.scheduledAt,
    attempt: a.attempt,
  };
}

/**
 * The one place an attempt reaches its target: an HTTP call (signed, with the scheduler's headers)
 * or an AWS service call under the job's role. Placeholders are filled here for every type.
 */
export async function callTarget(deps: ServiceDeps, a: TargetAttempt): Promise<TargetOutcome> {
  const { job, execution } = a;
  const target = job.target;
  const context = contextOf(a);
  const timeoutMs = job.timeoutSeconds * 1000;
  if (target.type !== 'http') {
    if (!deps.aws) {
      return {
        kind: 'error',
        error: `${PERMANENT_PREFIX}this deployment has no caller for ${target.type} targets`,
        timedOut: false,
        aborted: false,
        durationMs: 0,
      };
    }
    return deps.aws.call({
      call: awsCallFor(target, context, {
        now: a.startedAt,
        ...(execution.replayedAt ? { replayedAt: execution.replayedAt } : {}),
      }),
      roleArn: target.roleArn,
      tenant: job.tenant,
      executionId: execution.executionId,
      timeoutMs,
      signal: a.signal,
    });
  }
  const body = target.body === undefined ? '' : fillPlaceholders(target.body, context);
  const secret = deps.signing.secretsFor(job.tenant)[0];
  const callbackBase = deps.settings.publicUrl
    ? `${deps.settings.publicUrl}/v1/executions/${encodeURIComponent(execution.executionId)}`
    : undefined;
  const headers: Record<string, string> = {
    ...(target.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...target.headers,
    'idempotency-key': execution.executionId,
    'x-scheduler-job-id': job.jobId,
    'x-scheduler-execution-id': execution.executionId,
    'x-scheduler-scheduled-at': execution.scheduledAt,
    'x-scheduler-attempt': String(a.attempt),
    'x-scheduler-callback-token': a.token,
    ...(callbackBase
      ? {
          'x-scheduler-heartbeat-url': `${callbackBase}/heartbeat`,
          'x-scheduler-complete-url': `${callbackBase}/complete`,
        }
      : {}),
    ...(secret
      ? { 'x-scheduler-signature': signatureHeader(secret, Math.floor(a.startedAt / 1000), body) }
      : {}),
  };
  return deps.http.call({
    url: target.url,
    method: target.method,
    headers,
    ...(target.method === 'GET' ? {} : { body }),
    timeoutMs,
    signal: a.signal,
    // Keep-alive connections are pooled per tenant (docs/decisions/connection-pools.md).
    tenant: job.tenant,
  });
}
