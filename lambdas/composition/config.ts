import { parseSigningSecrets } from '../core/signing.js';
/**
 * Runtime configuration of every handler, read from the environment once.
 * The CDK stack sets these variables; the local runtime builds the same object directly.
 */
export const ENV = {
  jobsTable: 'JOBS_TABLE',
  executionsTable: 'EXECUTIONS_TABLE',
  runQueueHigh: 'RUN_QUEUE_HIGH_URL',
  runQueueNormal: 'RUN_QUEUE_NORMAL_URL',
  runQueueLow: 'RUN_QUEUE_LOW_URL',
  notificationsQueue: 'NOTIFICATIONS_QUEUE_URL',
  /** The notifier's sender address (an SES verified identity). */
  emailFrom: 'SCHEDULER_EMAIL_FROM',
  archiveBucket: 'ARCHIVE_BUCKET',
  shards: 'SCHEDULER_SHARDS',
  lookaheadSeconds: 'SCHEDULER_LOOKAHEAD_SECONDS',
  /** How far ahead plans queue a job's runs (0–900 s; 0: only the look-ahead's). */
  queueAheadSeconds: 'SCHEDULER_QUEUE_AHEAD_SECONDS',
  hotRetentionSeconds: 'SCHEDULER_HISTORY_HOT_SECONDS',
  signingSecrets: 'SCHEDULER_SIGNING_SECRETS',
  /** In AWS: the Secrets Manager secret holding the signing secrets, read at run time. */
  signingSecretArn: 'SCHEDULER_SIGNING_SECRET_ARN',
  targetAllowlist: 'SCHEDULER_TARGET_ALLOWLIST',
  /** IAM pattern of the roles AWS targets may name (and the executor may assume). */
  targetRolePattern: 'SCHEDULER_TARGET_ROLE_PATTERN',
  /** Active and paused jobs one tenant may hold. */
  maxJobsPerTenant: 'SCHEDULER_MAX_JOBS_PER_TENANT',
  /** Target calls one tenant may start per minute; more wait for a later minute. */
  maxExecutionsPerTenantPerMinute: 'SCHEDULER_MAX_EXECUTIONS_PER_TENANT_PER_MINUTE',
  /** API requests per second per tenant (token bucket per api process), and the bucket's size. */
  apiRatePerSecond: 'SCHEDULER_API_RATE_PER_SECOND',
  apiBurst: 'SCHEDULER_API_BURST',
  tenantClaim: 'SCHEDULER_TENANT_CLAIM',
  /** The API's public base URL, given to async targets for their heartbeat/complete callbacks. */
  publicUrl: 'SCHEDULER_PUBLIC_URL',
} as const;

export interface SchedulerConfig {
  jobsTable: string;
  executionsTable: string;
  runQueues: { high: string; normal: string; low: string };
  shards: number;
  lookaheadSeconds: number;
  /** Runs queued ahead, 0–900 s (DEFAULTS.queueAheadSeconds when absent). */
  queueAheadSeconds?: number;
  /** Seconds an execution stays in the hot table after it finishes (DynamoDB TTL). */
  hotRetentionSeconds: number;
  /** Tenant -> signing secrets (first signs; all verify during a rotation). */
  signingSecrets: Record<string, string[]>;
  targetAllowlist: string[];
  /** Roles AWS targets may name; default DEFAULT_TARGET_ROLE_PATTERN (its partition is the deployment's). */
  targetRolePattern?: string;
  /** Per-tenant limits (docs/security.md); absent fields take DEFAULTS. */
  maxJobsPerTenant?: number;
  maxExecutionsPerTenantPerMinute?: number;
  apiRatePerSecond?: number;
  apiBurst?: number;
  publicUrl?: string;
  /** Where execution events become notifications; without it no notification is sent. */
  notificationsQueue?: string;
  /** S3 bucket of the execution archive; without it reads see the hot table only. */
  archiveBucket?: string;
}

export const DEFAULTS = {
  shards: 16,
  lookaheadSeconds: 120,
  queueAheadSeconds: 900,
  hotRetentionSeconds: 90 * 24 * 3600,
  maxJobsPerTenant: 10_000,
  maxExecutionsPerTenantPerMinute: 6_000,
  apiRatePerSecond: 100,
  apiBurst: 200,
} as const;

/** The local runtime's default allowlist: its own loopback, where local targets and sinks live. */
export const LOCAL_TARGET_ALLOWLIST = ['127.0.0.0/8', '::1'];

function intFrom(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`expected a positive integer, got "${value}"`);
  return n;
}

/** 0 turns queue-ahead off; SQS delays a message 900 s at most. */
function queueAheadFrom(value: string | undefined): number {
  if (value === '0') return 0;
  const seconds = intFrom(value, DEFAULTS.queueAheadSeconds);
  if (seconds > 900) throw new Error(`expected 0-900 seconds of queue-ahead, got "${value}"`);
  return seconds;
}

/** The one check of a variable every handler that reads it needs: unset or empty is a clear startup error. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): SchedulerConfig {
  return {
    jobsTable: requiredEnv(ENV.jobsTable, env),
    executionsTable: requiredEnv(ENV.executionsTable, env),
    runQueues: {
      high: requiredEnv(ENV.runQueueHigh, env),
      normal: requiredEnv(ENV.runQueueNormal, env),
      low: requiredEnv(ENV.runQueueLow, env),
    },
    shards: intFrom(env[ENV.shards], DEFAULTS.shards),
    lookaheadSeconds: intFrom(env[ENV.lookaheadSeconds], DEFAULTS.lookaheadSeconds),
    queueAheadSeconds: queueAheadFrom(env[ENV.queueAheadSeconds]),
    hotRetentionSeconds: intFrom(env[ENV.hotRetentionSeconds], DEFAULTS.hotRetentionSeconds),
    signingSecrets: parseSigningSecrets(env[ENV.signingSecrets]),
    maxJobsPerTenant: intFrom(env[ENV.maxJobsPerTenant], DEFAULTS.maxJobsPerTenant),
    maxExecutionsPerTenantPerMinute: intFrom(
      env[ENV.maxExecutionsPerTenantPerMinute],
      DEFAULTS.maxExecutionsPerTenantPerMinute,
    ),
    apiRatePerSecond: intFrom(env[ENV.apiRatePerSecond], DEFAULTS.apiRatePerSecond),
    apiBurst: intFrom(env[ENV.apiBurst], DEFAULTS.apiBurst),
    ...(env[ENV.publicUrl] ? { publicUrl: env[ENV.publicUrl]!.replace(/\/+$/, '') } : {}),
    ...(env[ENV.notificationsQueue] ? { notificationsQueue: env[ENV.notificationsQueue]! } : {}),
    ...(env[ENV.archiveBucket] ? { archiveBucket: env[ENV.archiveBucket]! } : {}),
    ...(env[ENV.targetRolePattern] ? { targetRolePattern: env[ENV.targetRolePattern]! } : {}),
    targetAllowlist: (env[ENV.targetAllowlist] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
}
