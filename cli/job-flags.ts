import { readFileSync } from 'node:fs';
import type { CreateJobBody, Job, JobPatch, ScheduleInput } from '../client/index.js';
import { type Flags, integerFlag } from './args.js';
import { UsageError } from './exit-codes.js';
import { parseDurationSeconds, parseInstant } from './time.js';

/** A target as flags and files give it: any subset of any type's fields (the API validates). */
type TargetFields = Record<string, unknown> & { headers?: Record<string, string> };

/** The flag naming an AWS resource picks the target type, and the field it fills. */
const AWS_TARGET_FLAGS = {
  lambda: 'functionArn',
  sqs: 'queueUrl',
  eventbridge: 'eventBusArn',
  stepfunctions: 'stateMachineArn',
  sns: 'topicArn',
} as const;

/** Where `--body` goes in each target type. */
const PAYLOAD_FIELD: Record<string, string> = {
  http: 'body',
  lambda: 'payload',
  sqs: 'body',
  eventbridge: 'detail',
  stepfunctions: 'input',
  sns: 'message',
};

export const TARGET_FLAGS = [
  'url',
  'method',
  'body',
  'header',
  ...(Object.keys(AWS_TARGET_FLAGS) as (keyof typeof AWS_TARGET_FLAGS)[]),
  'role',
  'invocation-type',
  'message-group-id',
  'source',
  'detail-type',
  'subject',
] as const;

/** Reads `--file` (or `-` for stdin) as a JSON object. */
export function readJsonFile(path: string, readStdin: () => string): Record<string, unknown> {
  let text: string;
  try {
    text = path === '-' ? readStdin() : readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new UsageError(`${path} must hold a JSON object`);
  return value as Record<string, unknown>;
}

/** `--body` text, or the content of a file with `@path`. */
function bodyFlag(value: string): string {
  if (!value.startsWith('@')) return value;
  try {
    return readFileSync(value.slice(1), 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read --body file ${value.slice(1)}: ${(error as NodeJS.ErrnoException).code}`,
    );
  }
}

/** `--header k=v` (or `k: v`), repeatable. */
function headerFlags(values: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    const at = value.search(/[=:]/);
    if (at <= 0) throw new UsageError(`--header must look like name=value, got "${value}"`);
    headers[value.slice(0, at).trim()] = value.slice(at + 1).trim();
  }
  return headers;
}

const SCHEDULE_FLAGS = ['cron', 'rate', 'at', 'now'] as const;

/** The schedule the flags describe, or undefined when none of --cron/--rate/--at/--now is given. */
function scheduleFromFlags(flags: Flags, now: number): ScheduleInput | undefined {
  const chosen = SCHEDULE_FLAGS.filter((f) => flags[f] !== undefined && flags[f] !== false);
  if (chosen.length > 1)
    throw new UsageError(`give one schedule: --${chosen[0]} and --${chosen[1]} cannot go together`);
  // EventBridge Scheduler's forms pass through as written; the API reads them (at(…) in --tz's zone).
  const eventBridgeAt = flags.at !== undefined && /^at\(/.test(flags.at);
  const eventBridgeRate = flags.rate !== undefined && /^rate\(/.test(flags.rate);
  if (flags.tz !== undefined && flags.cron === undefined && !eventBridgeAt && chosen.length > 0)
    throw new UsageError('--tz goes with --cron or an at(…) expression');
  const window = {
    ...(flags['start-at'] ? { startAt: parseInstant(flags['start-at'], '--start-at', now) } : {}),
    ...(flags['end-at'] ? { endAt: parseInstant(flags['end-at'], '--end-at', now) } : {}),
  };
  if (flags.cron !== undefined)
    return { type: 'cron', expression: flags.cron, ...(flags.tz ? { timezone: flags.tz } : {}), ...window };
  if (Object.keys(window).length > 0 && chosen.length > 0)
    throw new UsageError('--start-at and --end-at go with --cron or --rate');
  if (eventBridgeRate) return { type: 'rate', expression: flags.rate!, ...window };
  if (flags.rate !== undefined)
    return { type: 'rate', everySeconds: parseDurationSeconds(flags.rate, '--rate'), ...window };
  if (eventBridgeAt) return { type: 'once', at: flags.at!, ...(flags.tz ? { timezone: flags.tz } : {}) };
  if (flags.at !== undefined) return { type: 'once', at: parseInstant(flags.at, '--at', now) };
  if (flags.now) return { type: 'immediate' };
  return undefined;
}

/**
 * The target fields the flags set. `--lambda|--sqs|--eventbridge|--stepfunctions|--sns <arn|url>`
 * picks an AWS type (and starts a new target); `--body` fills that type's payload field.
 */
function targetFromFlags(flags: Flags, baseType: string | undefined): TargetFields {
  const chosen = (Object.keys(AWS_TARGET_FLAGS) as (keyof typeof AWS_TARGET_FLAGS)[]).filter(
    (f) => flags[f] !== undefined,
  );
  if (chosen.length > 1)
    throw new UsageError(`give one target: --${chosen[0]} and --${chosen[1]} cannot go together`);
  if (chosen.length > 0 && flags.url !== undefined)
    throw new UsageError(`give one target: --url and --${chosen[0]} cannot go together`);
  const awsType = chosen[0];
  const type = awsType ?? (flags.url !== undefined ? 'http' : (baseType ?? 'http'));
  return {
    ...(awsType ? { type: awsType, [AWS_TARGET_FLAGS[awsType]]: flags[awsType] } : {}),
    ...(flags.url !== undefined ? { type: 'http', url: flags.url } : {}),
    ...(flags.method !== undefined ? { method: flags.method.toUpperCase() } : {}),
    ...(flags.body !== undefined ? { [PAYLOAD_FIELD[type] ?? 'body']: bodyFlag(flags.body) } : {}),
    ...(flags.header?.length ? { headers: headerFlags(flags.header) } : {}),
    ...(flags.role !== undefined ? { roleArn: flags.role } : {}),
    ...(flags['invocation-type'] !== undefined ? { invocationType: flags['invocation-type'] } : {}),
    ...(flags['message-group-id'] !== undefined ? { messageGroupId: flags['message-group-id'] } : {}),
    ...(flags.source !== undefined ? { source: flags.source } : {}),
    ...(flags['detail-type'] !== undefined ? { detailType: flags['detail-type'] } : {}),
    ...(flags.subject !== undefined ? { subject: flags.subject } : {}),
  };
}

/** A new type replaces the old target; otherwise the flags' fields go on top of it. */
function mergeTarget(base: TargetFields, given: TargetFields): TargetFields {
  const baseType = (base.type as string | undefined) ?? 'http';
  if (given.type !== undefined && given.type !== baseType) return given;
  return {
    ...base,
    ...given,
    ...(given.headers ? { headers: { ...base.headers, ...given.headers } } : {}),
  };
}

/** The other definition fields the flags set. The API validates values and ranges. */
function settingsFromFlags(flags: Flags): Partial<CreateJobBody> {
  const timeout = integerFlag(flags.timeout, 'timeout', 1);
  const maxAttempts = integerFlag(flags['max-attempts'], 'max-attempts', 1);
  const jitter = integerFlag(flags.jitter, 'jitter');
  return {
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
    ...(maxAttempts !== undefined ? { retry: { maxAttempts } } : {}),
    ...(flags.priority !== undefined ? { priority: flags.priority as CreateJobBody['priority'] } : {}),
    ...(flags.misfire !== undefined ? { misfire: flags.misfire as CreateJobBody['misfire'] } : {}),
    ...(jitter !== undefined ? { jitterSeconds: jitter } : {}),
    ...(flags['depends-on']?.length ? { dependsOn: flags['depends-on'] } : {}),
  };
}

/** `jobs create`: `--file` as the base, flags on top (a schedule flag replaces the file's schedule). */
export function createBodyFromFlags(flags: Flags, now: number, readStdin: () => string): CreateJobBody {
  const base = flags.file ? readJsonFile(flags.file, readStdin) : {};
  const schedule = scheduleFromFlags(flags, now);
  if (flags.tz !== undefined && schedule === undefined) throw new UsageError('--tz goes with --cron');
  const baseTarget = (base.target ?? {}) as TargetFields;
  const target = mergeTarget(baseTarget, targetFromFlags(flags, baseTarget.type as string | undefined));
  const settings = settingsFromFlags(flags);
  const body = {
    ...base,
    ...settings,
    ...(settings.retry ? { retry: { ...(base.retry as object), ...settings.retry } } : {}),
    ...(schedule ? { schedule } : {}),
    target,
  } as Record<string, unknown>;
  if (body.schedule === undefined)
    throw new UsageError(
      'give a schedule: --cron "<expr>" [--tz <zone>], --rate <30s|5m|rate(5 minutes)>, --at <time|+10s|at(…)> or --now',
    );
  if (Object.keys(target).length === 0)
    throw new UsageError(
      'give the target: --url <url>, or --lambda|--sqs|--eventbridge|--stepfunctions|--sns <arn|url> with --role <roleArn>',
    );
  return body as unknown as CreateJobBody;
}

/** True when the patch flags only make sense merged into the current job (a partial target or schedule). */
export function patchNeedsCurrent(flags: Flags): boolean {
  const touchesTarget = TARGET_FLAGS.some((f) =>
    Array.isArray(flags[f]) ? (flags[f] as string[]).length > 0 : flags[f] !== undefined,
  );
  const partialSchedule =
    (flags.tz !== undefined || flags['start-at'] !== undefined || flags['end-at'] !== undefined) &&
    flags.cron === undefined &&
    flags.rate === undefined;
  const cronKeepsZone = flags.cron !== undefined && flags.tz === undefined;
  return touchesTarget || partialSchedule || cronKeepsZone || flags['max-attempts'] !== undefined;
}

/**
 * `jobs patch`: the fields the flags change. A partial target, retry or schedule is merged into
 * the current definition so the API receives whole objects.
 */
export function patchFromFlags(
  flags: Flags,
  now: number,
  readStdin: () => string,
  current: Job | undefined,
): JobPatch {
  const base = flags.file ? readJsonFile(flags.file, readStdin) : {};
  let schedule = scheduleFromFlags(flags, now);
  // A new expression keeps the job's zone: `--cron "0 7 * * *"` must not move a New York job to UTC.
  if (schedule?.type === 'cron' && flags.tz === undefined && current?.schedule.type === 'cron')
    schedule = { ...schedule, timezone: current.schedule.timezone };
  if (!schedule && current && (flags.tz || flags['start-at'] || flags['end-at'])) {
    const existing = current.schedule;
    if (existing.type !== 'cron' && (flags.tz || existing.type !== 'rate'))
      throw new UsageError(`the job's ${existing.type} schedule has no ${flags.tz ? 'timezone' : 'window'}`);
    schedule = {
      ...existing,
      ...(flags.tz && existing.type === 'cron' ? { timezone: flags.tz } : {}),
      ...(flags['start-at'] ? { startAt: parseInstant(flags['start-at'], '--start-at', now) } : {}),
      ...(flags['end-at'] ? { endAt: parseInstant(flags['end-at'], '--end-at', now) } : {}),
    } as ScheduleInput;
  }
  const currentTarget = (current?.target ?? {}) as TargetFields;
  const target = targetFromFlags(flags, currentTarget.type as string | undefined);
  const settings = settingsFromFlags(flags);
  const patch: Record<string, unknown> = { ...base, ...settings };
  if (settings.retry) patch.retry = { ...current?.retry, ...settings.retry };
  if (schedule) patch.schedule = schedule;
  if (Object.keys(target).length > 0) patch.target = mergeTarget(currentTarget, target);
  if (Object.keys(patch).length === 0) throw new UsageError('jobs patch: give at least one field to change');
  return patch as JobPatch;
}
