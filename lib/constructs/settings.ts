import type { Node } from 'constructs';
import { assertRolePattern } from '../../lambdas/core/aws-arns.js';
import { assertShardCount, MAX_SHARDS } from '../../lambdas/core/watcher-schedule.js';
import type { Priority } from '../../schemas/job.js';

/** Deployment settings: CDK context (cdk.json or `-c key=value`) over these defaults. */
export interface SchedulerSettings {
  /** Watcher shards (1–MAX_SHARDS); jobs hash to `hash(jobId) mod shards`. Only grow it (docs/deploy.md). @default 16 */
  readonly shards: number;
  /**
   * State the deploy gives the watcher schedules: `false` keeps a maintenance stop across deploys
   * (scripts/watchers.ts stops them between deploys). @default true
   */
  readonly watchersEnabled: boolean;
  /** How far ahead a watcher tick (or a create) hands runs to the run queues. @default 120 */
  readonly lookaheadSeconds: number;
  /** Days a finished execution stays in the Executions table before TTL archives it. @default 90 */
  readonly hotRetentionDays: number;
  /** Days an archived execution is kept in S3 (the API reads a year of history). @default 400 */
  readonly archiveRetentionDays: number;
  /** SQS event source `maximumConcurrency` of the executor, per run queue (2–1000). @default {high: 50, normal: 20, low: 5} */
  readonly executorConcurrency: Readonly<Record<Priority, number>>;
  /** Email subscribed to the alarm topic. @default - none: the topic has no subscription */
  readonly alarmEmail?: string;
  /** Issuer URL of a JWT authorizer that replaces IAM (SigV4) authorization. @default - IAM authorization */
  readonly jwtIssuer?: string;
  /** Audiences the JWT authorizer accepts; required with `jwtIssuer`. @default - none */
  readonly jwtAudience?: readonly string[];
  /** SES identity (domain or address) the notifier may send email from. @default - no email permission */
  readonly sesIdentity?: string;
  /** Sender address of notification email. @default - `sesIdentity` if an address, else `scheduler@<sesIdentity>` */
  readonly emailFrom?: string;
  /** JWT claim that names the tenant (with IAM the caller's ARN is the tenant). @default 'sub' */
  readonly tenantClaim: string;
  /** Retention of every function's and the API's log group, in days (a CloudWatch Logs value). @default 30 */
  readonly logRetentionDays: number;
  /** API stage steady-state rate limit, requests per second. @default 500 */
  readonly apiThrottleRate: number;
  /** API stage burst limit, requests. @default 1000 */
  readonly apiThrottleBurst: number;
  /** Keep tables and buckets when the stack is deleted (false: delete them, for dev stacks). @default true */
  readonly retainData: boolean;
  /**
   * IAM pattern of the roles AWS-native targets may name: the executor may assume only these, and
   * the API refuses others (docs/deploy.md, "Target roles"). @default `arn:<partition>:iam::*:role/scheduler-target-*`
   */
  readonly targetRolePattern?: string;
}

export const DEFAULT_SETTINGS: SchedulerSettings = {
  shards: 16,
  watchersEnabled: true,
  lookaheadSeconds: 120,
  hotRetentionDays: 90,
  archiveRetentionDays: 400,
  executorConcurrency: { high: 50, normal: 20, low: 5 },
  tenantClaim: 'sub',
  logRetentionDays: 30,
  apiThrottleRate: 500,
  apiThrottleBurst: 1000,
  retainData: true,
};

/** Values CloudWatch Logs accepts as a retention. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function integer(key: string, value: unknown, min: number, max: number): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new Error(`context ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

function text(key: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string')
    throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function bool(key: string, value: unknown): boolean {
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`context ${key} must be true or false, got ${JSON.stringify(value)}`);
}

/** `-c` passes strings: an object may arrive as JSON text. */
function object(key: string, value: unknown): Record<string, unknown> {
  const parsed = typeof value === 'string' ? JSON.parse(value) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`context ${key} must be an object, got ${JSON.stringify(value)}`);
  }
  return parsed as Record<string, unknown>;
}

/** A list, or comma-separated text. */
function list(key: string, value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const items = Array.isArray(value) ? value : String(value).split(',');
  const strings = items.map((item) => text(key, typeof item === 'string' ? item.trim() : item));
  return strings.filter((item): item is string => item !== undefined);
}

/** Reads and checks every setting; a bad value fails the synth with the key's name. */
export function settingsFrom(node: Node, overrides: Partial<SchedulerSettings> = {}): SchedulerSettings {
  const raw = (key: keyof SchedulerSettings): unknown => overrides[key] ?? node.tryGetContext(key);
  const d = DEFAULT_SETTINGS;
  const concurrency = {
    ...d.executorConcurrency,
    ...object('executorConcurrency', raw('executorConcurrency') ?? {}),
  };
  const settings: SchedulerSettings = {
    shards: integer('shards', raw('shards') ?? d.shards, 1, MAX_SHARDS),
    watchersEnabled: bool('watchersEnabled', raw('watchersEnabled') ?? d.watchersEnabled),
    lookaheadSeconds: integer('lookaheadSeconds', raw('lookaheadSeconds') ?? d.lookaheadSeconds, 60, 900),
    hotRetentionDays: integer('hotRetentionDays', raw('hotRetentionDays') ?? d.hotRetentionDays, 1, 3650),
    archiveRetentionDays: integer(
      'archiveRetentionDays',
      raw('archiveRetentionDays') ?? d.archiveRetentionDays,
      1,
      3650,
    ),
    executorConcurrency: {
      high: integer('executorConcurrency.high', concurrency.high, 2, 1000),
      normal: integer('executorConcurrency.normal', concurrency.normal, 2, 1000),
      low: integer('executorConcurrency.low', concurrency.low, 2, 1000),
    },
    tenantClaim: text('tenantClaim', raw('tenantClaim')) ?? d.tenantClaim,
    logRetentionDays: integer('logRetentionDays', raw('logRetentionDays') ?? d.logRetentionDays, 1, 3653),
    apiThrottleRate: integer('apiThrottleRate', raw('apiThrottleRate') ?? d.apiThrottleRate, 1, 100_000),
    apiThrottleBurst: integer('apiThrottleBurst', raw('apiThrottleBurst') ?? d.apiThrottleBurst, 1, 100_000),
    retainData: bool('retainData', raw('retainData') ?? d.retainData),
  };
  assertShardCount(settings.shards);
  if (!LOG_RETENTION_DAYS.includes(settings.logRetentionDays)) {
    throw new Error(`context logRetentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}`);
  }
  const alarmEmail = text('alarmEmail', raw('alarmEmail'));
  const jwtIssuer = text('jwtIssuer', raw('jwtIssuer'));
  const jwtAudience = list('jwtAudience', raw('jwtAudience'));
  const sesIdentity = text('sesIdentity', raw('sesIdentity'));
  const emailFrom = text('emailFrom', raw('emailFrom'));
  const targetRolePattern = text('targetRolePattern', raw('targetRolePattern'));
  if (targetRolePattern) {
    try {
      assertRolePattern(targetRolePattern);
    } catch (error) {
      throw new Error(`context targetRolePattern: ${(error as Error).message}`);
    }
  }
  if (emailFrom && !sesIdentity)
    throw new Error('context emailFrom needs sesIdentity (the identity that may send it)');
  if (jwtIssuer && !jwtAudience?.length) {
    throw new Error(
      'context jwtAudience is required with jwtIssuer (API Gateway JWT authorizers check an audience)',
    );
  }
  if (jwtIssuer && !jwtIssuer.startsWith('https://')) {
    throw new Error(`context jwtIssuer must be an https:// URL, got ${JSON.stringify(jwtIssuer)}`);
  }
  return {
    ...settings,
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(jwtIssuer ? { jwtIssuer, jwtAudience: jwtAudience ?? [] } : {}),
    ...(sesIdentity ? { sesIdentity } : {}),
    ...(emailFrom ? { emailFrom } : {}),
    ...(targetRolePattern ? { targetRolePattern } : {}),
  };
}
