/**
 * AWS list prices (us-east-1, on-demand, no free tier) and the cost arithmetic per million
 * executions. Prices as published on the AWS pricing pages in 2025 (DynamoDB's on-demand prices
 * are those after the 1 November 2024 reduction); see docs/benchmarks.md.
 */
import { DEFAULT_MEMORY_MB, EXECUTOR_MEMORY_MB } from '../lib/constructs/memory.js';

export const PRICES = {
  checked: '2025-06',
  dynamodbPerMillionWru: 0.625,
  dynamodbPerMillionRru: 0.125,
  dynamodbStoragePerGbMonth: 0.25,
  /** Provisioned capacity (standard table class), per unit-hour; every GSI is provisioned apart. */
  dynamodbPerWcuHour: 0.00065,
  dynamodbPerRcuHour: 0.00013,
  /** Standard queue; every 64 KB chunk of a request's payload is one request. */
  sqsPerMillionRequests: 0.4,
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerMillionRequests: 0.2,
  eventBridgeSchedulerPerMillion: 1.0,
  /** S3 Standard requests; PUT, COPY, POST and LIST share a price, DELETE is free. */
  s3PerThousandPuts: 0.005,
  s3PerThousandLists: 0.005,
  s3PerThousandGets: 0.0004,
  s3StandardPerGbMonth: 0.023,
  /** Glacier Instant Retrieval: cheaper to keep, dearer to read; 128 KB minimum billable object size. */
  s3GlacierIrPerThousandGets: 0.01,
  s3GlacierIrRetrievalPerGb: 0.03,
  s3GlacierIrPerGbMonth: 0.004,
  s3GlacierIrTransitionPerThousand: 0.02,
  /** For comparison only. */
  qstashPerMillion: 10.0,
} as const;

/** What the local run cannot measure about Lambda; stated in docs/benchmarks.md. */
export const ASSUMPTIONS = {
  /** The sizes the stack deploys (lib/constructs/memory.ts). */
  executorMemoryGb: EXECUTOR_MEMORY_MB / 1024,
  watcherMemoryGb: DEFAULT_MEMORY_MB / 1024,
  /**
   * The executor sleeps the sub-second rest before `scheduledAt` (DelaySeconds has whole seconds):
   * 0–1 s. Only a fallback: the bench measures it from the messages sent (`usage.residualWaitMs`).
   */
  residualWaitMs: 500,
  /** One DynamoDB round trip from Lambda in the same region. */
  dynamoCallMs: 8,
  /** The target's answer time (loopback here; a real target is slower). */
  targetMs: 100,
  /** A watcher invocation per shard per minute, this long each. */
  watcherInvocationMs: 1000,
  shards: 16,
  /** Executions per month the watcher's fixed cost is spread over (the 10,000/min target). */
  executionsPerMonth: 10_000 * 60 * 24 * 30,
  /** Days a finished execution stays in the hot table. */
  hotDays: 90,
  /** Overhead DynamoDB adds to every stored item and index entry for storage billing. */
  storageOverheadBytes: 100,
} as const;

export type Assumptions = { [K in keyof typeof ASSUMPTIONS]: number };

export interface ExecutionUsage {
  /** Successful executions the usage below paid for. */
  executions: number;
  wru: number;
  rru: number;
  ddbCalls: number;
  sqsRequests: number;
  /** Messages per executor invocation (SQS batch); measured as messages per non-empty receive. */
  messagesPerInvocation: number;
  /**
   * Measured mean wait before `scheduledAt` once a message is visible (its residual, bench/meter.ts);
   * absent: `ASSUMPTIONS.residualWaitMs`.
   */
  residualWaitMs?: number;
}

export interface CostBreakdown {
  dynamodbWrites: number;
  dynamodbReads: number;
  sqs: number;
  lambdaRequests: number;
  lambdaCompute: number;
  watcherAmortised: number;
  total: number;
}

const usd = (n: number) => Math.round(n * 10_000) / 10_000;

/** Dollars per million successful executions for the measured usage, at list prices. */
export function costPerMillion(usage: ExecutionUsage, a: Assumptions = ASSUMPTIONS): CostBreakdown {
  const per = (n: number) => (usage.executions > 0 ? n / usage.executions : 0);
  const batch = Math.min(10, Math.max(1, usage.messagesPerInvocation));
  const dynamodbWrites = per(usage.wru) * PRICES.dynamodbPerMillionWru;
  const dynamodbReads = per(usage.rru) * PRICES.dynamodbPerMillionRru;
  const sqs = per(usage.sqsRequests) * PRICES.sqsPerMillionRequests;
  const lambdaRequests = PRICES.lambdaPerMillionRequests / batch;
  // Records of a batch run concurrently, so an invocation lasts about one execution; its cost is shared.
  const residualWaitMs = usage.residualWaitMs ?? a.residualWaitMs;
  const invocationMs = residualWaitMs + per(usage.ddbCalls) * a.dynamoCallMs + a.targetMs;
  const gbSecondsPerExecution = ((invocationMs / 1000) * a.executorMemoryGb) / batch;
  const lambdaCompute = gbSecondsPerExecution * PRICES.lambdaArmPerGbSecond * 1e6;
  const watcherAmortised = (watcherMonthlyUsd(a) / a.executionsPerMonth) * 1e6;
  const parts = { dynamodbWrites, dynamodbReads, sqs, lambdaRequests, lambdaCompute, watcherAmortised };
  const total = Object.values(parts).reduce((sum, v) => sum + v, 0);
  return {
    dynamodbWrites: usd(dynamodbWrites),
    dynamodbReads: usd(dynamodbReads),
    sqs: usd(sqs),
    lambdaRequests: usd(lambdaRequests),
    lambdaCompute: usd(lambdaCompute),
    watcherAmortised: usd(watcherAmortised),
    total: usd(total),
  };
}

/** The watcher's fixed monthly cost: one scheduled invocation per shard per minute. */
export function watcherMonthlyUsd(a: Assumptions = ASSUMPTIONS): number {
  const invocations = a.shards * 60 * 24 * 30;
  const scheduler = (invocations / 1e6) * PRICES.eventBridgeSchedulerPerMillion;
  const requests = (invocations / 1e6) * PRICES.lambdaPerMillionRequests;
  const compute =
    invocations * (a.watcherInvocationMs / 1000) * a.watcherMemoryGb * PRICES.lambdaArmPerGbSecond;
  return scheduler + requests + compute;
}

/**
 * Keeping a million finished executions for the hot window: the item in the table and in each
 * index that still holds it (ALL projection), plus DynamoDB's per-entry overhead.
 */
export function hotStoragePerMillion(
  itemBytes: number,
  indexesHoldingIt: number,
  a: Assumptions = ASSUMPTIONS,
) {
  return hotStorageOfCopies(
    Array.from({ length: 1 + indexesHoldingIt }, () => ({ bytes: itemBytes, share: 1 })),
    a,
  );
}

/**
 * The same from measured copies: an execution's bytes in the table (share 1) and in each index (its
 * projected entry, for the share of executions the index holds). Each copy pays DynamoDB's
 * per-entry overhead.
 */
export function hotStorageOfCopies(
  copies: readonly { bytes: number; share: number }[],
  a: Assumptions = ASSUMPTIONS,
) {
  const bytes = copies.reduce((sum, c) => sum + (c.bytes + a.storageOverheadBytes) * c.share, 0) * 1e6;
  return usd((bytes / 2 ** 30) * (a.hotDays / 30) * PRICES.dynamodbStoragePerGbMonth);
}

/** S3 requests of the archive, per million executions, for measured requests per execution. */
export function archiveRequestsPerMillion(perExecution: { puts: number; gets: number; lists: number }) {
  const puts = (perExecution.puts * 1e6 * PRICES.s3PerThousandPuts) / 1000;
  const gets = (perExecution.gets * 1e6 * PRICES.s3PerThousandGets) / 1000;
  const lists = (perExecution.lists * 1e6 * PRICES.s3PerThousandLists) / 1000;
  return { puts: usd(puts), gets: usd(gets), lists: usd(lists), total: usd(puts + gets + lists) };
}

/**
 * Keeping a million archived executions for `retentionDays` at `bytesPerExecution` (compacted, gzip):
 * S3 Standard throughout — the upper bound, as small tenants' parts never move to Glacier IR.
 */
export function archiveStoragePerMillion(bytesPerExecution: number, retentionDays: number): number {
  return usd(((bytesPerExecution * 1e6) / 2 ** 30) * (retentionDays / 30) * PRICES.s3StandardPerGbMonth);
}

/** How provisioned capacity is sized for a steady load (docs/benchmarks.md, "Provisioned capacity"). */
export const PROVISIONING = {
  /** Auto scaling's target utilisation: capacity = steady units per second ÷ this. */
  targetUtilisation: 0.7,
  /** Each table and each GSI has its own read and write capacity, at least 1 unit each. */
  minimumUnits: 1,
  note:
    'each table and GSI sized apart for the measured steady rate (units per run × runs per second ÷ 0.7, rounded up); ' +
    'no reserved capacity, no free tier; bursts above it are served by DynamoDB burst capacity or throttled and retried',
} as const;

export interface ProvisionedCapacity {
  /** Runs per second the capacity is sized for. */
  runsPerSecond: number;
  targetUtilisation: number;
  /** Table or `table/index` -> units per run and the capacity provisioned for it. */
  capacity: Record<string, { wruPerRun: number; rruPerRun: number; wcu: number; rcu: number }>;
  usdPerHour: number;
  dynamodbWrites: number;
  dynamodbReads: number;
  /** The on-demand breakdown with DynamoDB's part replaced by the provisioned one. */
  total: number;
}

/**
 * Dollars per million runs with provisioned capacity sized for `runsPerSecond`: per table and per
 * GSI, ⌈units per run × runs per second ÷ utilisation⌉ capacity units (at least one), paid by the
 * hour; SQS, Lambda and the watcher as in the on-demand breakdown.
 */
export function provisionedCostPerMillion(
  perRun: { wru: Record<string, number>; rru: Record<string, number> },
  runsPerSecond: number,
  onDemand: CostBreakdown,
  utilisation: number = PROVISIONING.targetUtilisation,
): ProvisionedCapacity {
  const targets = new Set([...Object.keys(perRun.wru), ...Object.keys(perRun.rru)]);
  const size = (units: number) =>
    Math.max(PROVISIONING.minimumUnits, Math.ceil((units * runsPerSecond) / utilisation - 1e-9));
  const capacity: ProvisionedCapacity['capacity'] = {};
  let wcuHour = 0;
  let rcuHour = 0;
  for (const target of [...targets].sort()) {
    const wruPerRun = perRun.wru[target] ?? 0;
    const rruPerRun = perRun.rru[target] ?? 0;
    const wcu = size(wruPerRun);
    const rcu = size(rruPerRun);
    capacity[target] = { wruPerRun, rruPerRun, wcu, rcu };
    wcuHour += wcu * PRICES.dynamodbPerWcuHour;
    rcuHour += rcu * PRICES.dynamodbPerRcuHour;
  }
  const runsPerHour = Math.max(1e-9, runsPerSecond * 3600);
  const dynamodbWrites = (wcuHour / runsPerHour) * 1e6;
  const dynamodbReads = (rcuHour / runsPerHour) * 1e6;
  const rest = onDemand.total - onDemand.dynamodbWrites - onDemand.dynamodbReads;
  return {
    runsPerSecond: Math.round(runsPerSecond * 100) / 100,
    targetUtilisation: utilisation,
    capacity,
    usdPerHour: usd(wcuHour + rcuHour),
    dynamodbWrites: usd(dynamodbWrites),
    dynamodbReads: usd(dynamodbReads),
    total: usd(rest + dynamodbWrites + dynamodbReads),
  };
}

export const COMPARISON = {
  eventBridgeSchedulerPerMillion: PRICES.eventBridgeSchedulerPerMillion,
  qstashPerMillion: PRICES.qstashPerMillion,
} as const;
