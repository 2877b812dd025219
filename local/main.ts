process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { DEFAULTS } from '../lambdas/composition/config.js';
import { parseSigningSecrets } from '../lambdas/core/signing.js';
import { parseAllowedHosts } from './allowed-hosts.js';
import { LOCAL_HAND_OVER_AHEAD_SECONDS, MAX_HAND_OVER_AHEAD_SECONDS } from './early-delivery.js';
import { parseLocalFunctions } from './local-aws-targets.js';
import { consoleLogger, type LogLevel } from './logger.js';
import { StartupError, startLocalRuntime } from './runtime.js';

function parseApiKeys(value: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const pair of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.indexOf(':');
    if (at <= 0 || at === pair.length - 1)
      throw new StartupError(`SCHEDULER_API_KEYS entry "${pair}" is not key:tenant`);
    keys.set(pair.slice(0, at), pair.slice(at + 1));
  }
  if (keys.size === 0) throw new StartupError('SCHEDULER_API_KEYS names no key');
  return keys;
}

function positiveInt(name: string, fallback: number, allowZero = false): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1))
    throw new StartupError(
      `${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got "${raw}"`,
    );
  return n;
}

/** SCHEDULER_HAND_OVER_AHEAD_SECONDS, 0–60 (a minute of runs held in memory at most). */
function handOverAhead(): number {
  const seconds = positiveInt('SCHEDULER_HAND_OVER_AHEAD_SECONDS', LOCAL_HAND_OVER_AHEAD_SECONDS, true);
  if (seconds > MAX_HAND_OVER_AHEAD_SECONDS) {
    throw new StartupError(
      `SCHEDULER_HAND_OVER_AHEAD_SECONDS must be at most ${MAX_HAND_OVER_AHEAD_SECONDS}, got ${seconds}`,
    );
  }
  return seconds;
}

function allowedHosts(value: string | undefined) {
  try {
    return parseAllowedHosts(value);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}

async function main(): Promise<void> {
  const env = process.env;
  const apiKeys = parseApiKeys(env.SCHEDULER_API_KEYS ?? 'dev-key:default');
  let localFunctions: Map<string, string>;
  try {
    localFunctions = parseLocalFunctions(env.SCHEDULER_LOCAL_FUNCTIONS);
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  const runtime = await startLocalRuntime({
    port: positiveInt('PORT', 3000, true),
    dataDir: env.SCHEDULER_DATA_DIR || '.scheduler-data',
    apiKeys,
    shards: positiveInt('SCHEDULER_SHARDS', 16),
    watchIntervalMs: positiveInt('SCHEDULER_WATCH_INTERVAL_SECONDS', 60) * 1000,
    lookaheadSeconds: positiveInt('SCHEDULER_LOOKAHEAD_SECONDS', 120),
    queueAheadSeconds: positiveInt('SCHEDULER_QUEUE_AHEAD_SECONDS', DEFAULTS.queueAheadSeconds, true),
    hotRetentionSeconds: positiveInt('SCHEDULER_HISTORY_HOT_SECONDS', 90 * 24 * 3600),
    sweepIntervalMs: positiveInt('SCHEDULER_SWEEP_INTERVAL_SECONDS', 60) * 1000,
    compactionIntervalMs: positiveInt('SCHEDULER_COMPACTION_INTERVAL_SECONDS', 3600) * 1000,
    leaseMarginSeconds: positiveInt('SCHEDULER_LEASE_MARGIN_SECONDS', 30),
    handOverAheadSeconds: handOverAhead(),
    shutdownGraceMs: positiveInt('SCHEDULER_SHUTDOWN_GRACE_SECONDS', 10, true) * 1000,
    signingSecrets: parseSigningSecrets(env.SCHEDULER_SIGNING_SECRETS ?? '*=local-dev-signing-secret'),
    allowedHosts: allowedHosts(env.SCHEDULER_ALLOWED_HOSTS),
    targetAllowlist: (env.SCHEDULER_TARGET_ALLOWLIST ?? '127.0.0.0/8,::1')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    localFunctions,
    sqsPort: positiveInt('SCHEDULER_SQS_PORT', 0, true),
    ...(env.SCHEDULER_TARGET_ROLE_PATTERN ? { targetRolePattern: env.SCHEDULER_TARGET_ROLE_PATTERN } : {}),
    limits: {
      maxJobsPerTenant: positiveInt('SCHEDULER_MAX_JOBS_PER_TENANT', DEFAULTS.maxJobsPerTenant),
      maxExecutionsPerTenantPerMinute: positiveInt(
        'SCHEDULER_MAX_EXECUTIONS_PER_TENANT_PER_MINUTE',
        DEFAULTS.maxExecutionsPerTenantPerMinute,
      ),
      apiRatePerSecond: positiveInt('SCHEDULER_API_RATE_PER_SECOND', DEFAULTS.apiRatePerSecond),
      apiBurst: positiveInt('SCHEDULER_API_BURST', DEFAULTS.apiBurst),
    },
    log: consoleLogger((env.SCHEDULER_LOG_LEVEL as LogLevel | undefined) ?? 'warn'),
    ...(env.SCHEDULER_EMAIL_FROM ? { emailFrom: env.SCHEDULER_EMAIL_FROM } : {}),
    onEmail: (path, email) => process.stdout.write(`email to ${email.to} written to ${path}\n`),
  });
  const [firstKey, firstTenant] = [...apiKeys][0]!;
  process.stdout.write(
    [
      `scheduler listening on ${runtime.url}`,
      `  api key: ${firstKey} (tenant ${firstTenant})   data: ${env.SCHEDULER_DATA_DIR || '.scheduler-data'}`,
      `  dashboard: ${runtime.url}/?key=${encodeURIComponent(firstKey)}`,
      `  api reference: ${runtime.url}/docs   (OpenAPI 3.1: ${runtime.url}/v1/openapi.json)`,
      `  cli:  SCHEDULER_ENDPOINT=${runtime.url} SCHEDULER_API_KEY=${firstKey} npx scheduler jobs list`,
      `  curl: curl -H 'x-api-key: ${firstKey}' ${runtime.url}/v1/jobs`,
      `  aws targets: sqs -> emulator ${runtime.awsTargets.sqsEndpoint} (any SQS client, any credentials, region us-east-1)`,
      `               lambda -> SCHEDULER_LOCAL_FUNCTIONS (${localFunctions.size ? [...localFunctions.keys()].join(', ') : 'none set'})`,
      `               eventbridge, stepfunctions, sns -> ${runtime.awsTargets.outbox}/<type>.jsonl`,
      `  recovery of the last session's queued messages: ${runtime.recovery.state} (${runtime.recovery.via}; GET /healthz shows it)`,
      '',
    ].join('\n'),
  );
  const startedAt = Date.now();
  void runtime.recovered.then((r) =>
    process.stdout.write(
      r.state === 'done'
        ? `recovery finished: recovered ${r.resent} queued runs from the last session (${r.via}, ${Date.now() - startedAt} ms after listening)\n`
        : `recovery failed: ${r.error ?? 'unknown error'}; the next start tries again\n`,
    ),
  );
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: finishing in-flight runs and stopping…\n`);
    await runtime.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  const message =
    error instanceof StartupError
      ? error.message
      : `failed to start: ${(error as Error)?.message ?? String(error)}`;
  // One line, whatever the error says: the reason, not a trace.
  process.stderr.write(`scheduler: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(1);
});
