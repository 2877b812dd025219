import type { GetScheduleOutput } from '@aws-sdk/client-scheduler';
import type { CreateJobBody } from '../../client/index.js';

/**
 * EventBridge Scheduler schedule -> scheduler job (docs/targets.md, "Importing from EventBridge
 * Scheduler"). Expressions and their timezone pass through as written (the API reads `cron(…)`,
 * `rate(…)` and `at(…)` as EventBridge does); what has no equivalent is either noted or, when the
 * job could not do what the schedule does, refused with the reason.
 */

/** Jobs made by the importer are named `eventbridge:<group>/<schedule>`: the name makes re-runs idempotent. */
export const IMPORTED_NAME_PREFIX = 'eventbridge:';
const NAME_LIMIT = 128;
/** The API's jitter limit (seconds); a wider flexible window is narrowed to it. */
const MAX_JITTER_SECONDS = 60;
/** The API's retry limit (attempts). */
const MAX_ATTEMPTS = 20;

export type Conversion =
  | { ok: true; job: CreateJobBody; paused: boolean; notes: string[] }
  | { ok: false; reason: string };

export function importedJobName(group: string, name: string): string {
  const full = `${IMPORTED_NAME_PREFIX}${group}/${name}`;
  if (full.length <= NAME_LIMIT) return full;
  // Group and schedule names are up to 64 characters each: keep the name unique with a short digest.
  let hash = 0;
  for (const c of full) hash = (Math.imul(hash, 31) + c.charCodeAt(0)) | 0;
  const digest = (hash >>> 0).toString(36);
  return `${full.slice(0, NAME_LIMIT - digest.length - 1)}~${digest}`;
}

function scheduleOf(s: GetScheduleOutput): CreateJobBody['schedule'] | string {
  const expression = s.ScheduleExpression?.trim() ?? '';
  const timezone = s.ScheduleExpressionTimezone || 'UTC';
  const window = {
    ...(s.StartDate ? { startAt: s.StartDate.toISOString() } : {}),
    ...(s.EndDate ? { endAt: s.EndDate.toISOString() } : {}),
  };
  if (expression.startsWith('cron(')) return { type: 'cron', expression, timezone, ...window };
  // The API reads EventBridge's forms as EventBridge does (API.md): passed on as written.
  if (expression.startsWith('rate(')) return { type: 'rate', expression, ...window };
  if (expression.startsWith('at(')) return { type: 'once', at: expression, timezone };
  return `expression ${JSON.stringify(expression)} is not cron(…), rate(…) or at(…)`;
}

/** `arn:aws:sqs:eu-west-1:123456789012:orders` -> its queue URL. */
function queueUrlOf(arn: string): string | null {
  const m = /^arn:(aws[a-z-]*):sqs:([a-z0-9-]+):(\d{12}):(.+)$/.exec(arn);
  if (!m) return null;
  const [, partition, region, account, name] = m;
  return `https://sqs.${region}.amazonaws.com${partition === 'aws-cn' ? '.cn' : ''}/${account}/${name}`;
}

function targetOf(s: GetScheduleOutput): CreateJobBody['target'] | string {
  const t = s.Target;
  if (!t?.Arn || !t.RoleArn) return 'the schedule has no target ARN or role';
  const service = t.Arn.split(':')[2];
  const roleArn = t.RoleArn;
  const input = t.Input;
  if (t.Arn.includes(':scheduler:::aws-sdk:')) {
    return `universal target ${t.Arn.split(':aws-sdk:')[1]} has no matching target type`;
  }
  switch (service) {
    case 'lambda':
      // EventBridge Scheduler invokes functions asynchronously.
      return {
        type: 'lambda',
        functionArn: t.Arn,
        invocationType: 'Event',
        ...(input ? { payload: input } : {}),
        roleArn,
      };
    case 'sqs': {
      const queueUrl = queueUrlOf(t.Arn);
      if (!queueUrl) return `cannot read the queue ARN ${t.Arn}`;
      const group = t.SqsParameters?.MessageGroupId;
      return {
        type: 'sqs',
        queueUrl,
        body: input ?? '{}',
        ...(group ? { messageGroupId: group } : {}),
        roleArn,
      };
    }
    case 'events': {
      const p = t.EventBridgeParameters;
      if (!p?.Source || !p.DetailType) return 'an EventBridge target without source and detail type';
      return {
        type: 'eventbridge',
        eventBusArn: t.Arn,
        source: p.Source,
        detailType: p.DetailType,
        ...(input ? { detail: input } : {}),
        roleArn,
      };
    }
    case 'states':
      return { type: 'stepfunctions', stateMachineArn: t.Arn, ...(input ? { input } : {}), roleArn };
    case 'sns':
      return { type: 'sns', topicArn: t.Arn, message: input ?? '{}', roleArn };
    default:
      return `${service} targets (${t.Arn}) have no matching target type`;
  }
}

/** One schedule, as GetSchedule returns it. */
export function convertSchedule(s: GetScheduleOutput): Conversion {
  const schedule = scheduleOf(s);
  if (typeof schedule === 'string') return { ok: false, reason: schedule };
  const target = targetOf(s);
  if (typeof target === 'string') return { ok: false, reason: target };
  const notes: string[] = [];
  let jitterSeconds = 0;
  const window = s.FlexibleTimeWindow;
  if (window?.Mode === 'FLEXIBLE' && window.MaximumWindowInMinutes) {
    jitterSeconds = Math.min(MAX_JITTER_SECONDS, window.MaximumWindowInMinutes * 60);
    if (window.MaximumWindowInMinutes * 60 > MAX_JITTER_SECONDS) {
      notes.push(
        `flexible window ${window.MaximumWindowInMinutes} min narrowed to ${MAX_JITTER_SECONDS} s jitter`,
      );
    }
  }
  // EventBridge retries 185 times over 24 h by default; `MaximumRetryAttempts` excludes the first try.
  const retries = s.Target?.RetryPolicy?.MaximumRetryAttempts ?? 185;
  const maxAttempts = Math.min(MAX_ATTEMPTS, retries + 1);
  if (retries + 1 > MAX_ATTEMPTS) notes.push(`${retries} retries capped at ${MAX_ATTEMPTS} attempts`);
  if (s.Target?.RetryPolicy?.MaximumEventAgeInSeconds !== undefined) {
    notes.push(
      `event age limit ${s.Target.RetryPolicy.MaximumEventAgeInSeconds} s not kept (retries follow backoff)`,
    );
  }
  if (s.Target?.DeadLetterConfig?.Arn) {
    notes.push(
      `dead-letter queue ${s.Target.DeadLetterConfig.Arn} not used: exhausted runs are dead letters here`,
    );
  }
  if (s.ActionAfterCompletion === 'DELETE')
    notes.push('ActionAfterCompletion DELETE: the finished job stays, completed');
  if (s.KmsKeyArn) notes.push('customer KMS key not carried over');
  const paused = s.State === 'DISABLED';
  if (paused) notes.push('paused: the schedule is DISABLED');
  const job = {
    name: importedJobName(s.GroupName ?? 'default', s.Name ?? ''),
    schedule,
    target,
    retry: { maxAttempts },
    jitterSeconds,
  } as CreateJobBody;
  return { ok: true, job, paused, notes };
}
