import { type Counts, total } from './meter.js';
import { type CostBreakdown, costPerMillion, type ExecutionUsage } from './pricing.js';

const r3 = (n: number) => Math.round(n * 1000) / 1000;

/** Counters with `prefix` stripped and divided by `by`. */
function slice(counts: Counts, prefix: string, by: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(counts)) {
    if (name.startsWith(prefix)) out[name.slice(prefix.length)] = r3(value / by);
  }
  return out;
}

/** The measured residual wait of the run messages sent (meter.ts, `countResidual`). */
export interface ResidualWait {
  /** Run messages measured (fractional under attribution: a run's share of a batch send). */
  messages: number;
  meanMs: number;
  /** From 10 ms bins: the upper bound of the bin that holds the 99th percentile. */
  p99Ms: number;
  /** Messages sent before they were due but answered too late to be visible in time, and their mean excess. */
  late: { messages: number; meanMs: number };
}

/** The residual wait of the run messages counted in `counts`; null when none was sent. */
export function residualWait(counts: Counts): ResidualWait | null {
  const messages = counts['sqs.residual.messages'] ?? 0;
  if (messages <= 0) return null;
  const bins = Object.entries(counts)
    .filter(([name]) => name.startsWith('sqs.residual.bin.'))
    .map(([name, n]) => [Number(name.slice('sqs.residual.bin.'.length)), n] as const)
    .sort(([a], [b]) => a - b);
  let seen = 0;
  let p99Ms = bins.at(-1)?.[0] ?? 0;
  for (const [bound, n] of bins) {
    seen += n;
    if (seen >= messages * 0.99 - 1e-9) {
      p99Ms = bound;
      break;
    }
  }
  const late = counts['sqs.residual.late'] ?? 0;
  return {
    messages: r3(messages),
    meanMs: r1((counts['sqs.residual.ms'] ?? 0) / messages),
    p99Ms,
    late: { messages: r3(late), meanMs: late > 0 ? r1((counts['sqs.residual.lateMs'] ?? 0) / late) : 0 },
  };
}

const r1 = (n: number) => Math.round(n * 10) / 10;

export interface PerExecution {
  executions: number;
  ddbCalls: Record<string, number>;
  sqsCalls: Record<string, number>;
  wru: {
    total: number;
    baseTable: number;
    gsi: number;
    /** Writes whose condition failed (billed, no index change). */
    conditionFailed: number;
    byTable: Record<string, number>;
    byIndex: Record<string, number>;
  };
  rru: { total: number; byTarget: Record<string, number> };
  sqs: { billedRequests: number; messagesPerReceive: number; emptyReceives: number };
  /** What the executor sleeps before `scheduledAt`, measured from the sends (null: none measured). */
  residualWait: ResidualWait | null;
  usage: ExecutionUsage;
  costPerMillionUsd: CostBreakdown;
}

/**
 * AWS usage per successful execution and its price, from the counters of a window. The residual
 * wait is read from `sends` (the counters of the requests that sent these executions' messages,
 * when they were made outside the window), else from `counts`.
 */
export function perExecution(counts: Counts, executions: number, sends: Counts = counts): PerExecution {
  const n = Math.max(1, executions);
  const baseTable = total(counts, 'ddb.wru.table.');
  const gsi = total(counts, 'ddb.wru.index.');
  const conditionFailed = total(counts, 'ddb.wru.conditionFailed.');
  const other = total(counts, 'ddb.wru.other.');
  const wru = baseTable + gsi + conditionFailed + other;
  const rru = total(counts, 'ddb.rru.');
  const nonEmpty = counts['sqs.nonEmptyReceives'] ?? 0;
  const messagesPerReceive = nonEmpty ? (counts['sqs.messagesReceived'] ?? 0) / nonEmpty : 1;
  const residual = residualWait(sends);
  const usage: ExecutionUsage = {
    executions,
    wru,
    rru,
    ddbCalls: total(counts, 'ddb.call.'),
    sqsRequests: counts['sqs.billedRequests'] ?? 0,
    messagesPerInvocation: r3(messagesPerReceive),
    ...(residual ? { residualWaitMs: residual.meanMs } : {}),
  };
  return {
    executions,
    ddbCalls: { total: r3(usage.ddbCalls / n), ...slice(counts, 'ddb.call.', n) },
    sqsCalls: slice(counts, 'sqs.call.', n),
    wru: {
      total: r3(wru / n),
      baseTable: r3(baseTable / n),
      gsi: r3(gsi / n),
      conditionFailed: r3(conditionFailed / n),
      byTable: slice(counts, 'ddb.wru.table.', n),
      byIndex: slice(counts, 'ddb.wru.index.', n),
    },
    rru: { total: r3(rru / n), byTarget: slice(counts, 'ddb.rru.', n) },
    sqs: {
      billedRequests: r3(usage.sqsRequests / n),
      messagesPerReceive: r3(messagesPerReceive),
      emptyReceives: r3((counts['sqs.emptyReceives'] ?? 0) / n),
    },
    residualWait: residual,
    usage,
    costPerMillionUsd: costPerMillion(usage),
  };
}

/** Sums counter maps (several windows into one). */
export function addCounts(...all: Counts[]): Counts {
  const out: Counts = {};
  for (const counts of all) for (const [k, v] of Object.entries(counts)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/**
 * Write and read units per run by table and by `table/index` (a failed condition is the table's),
 * what provisioned capacity is sized from: each table and GSI is provisioned apart.
 */
export function unitsByTarget(
  counts: Counts,
  runs: number,
): { wru: Record<string, number>; rru: Record<string, number> } {
  const n = Math.max(1, runs);
  const wru: Record<string, number> = {};
  const rru: Record<string, number> = {};
  const add = (into: Record<string, number>, target: string, value: number) => {
    into[target] = (into[target] ?? 0) + value / n;
  };
  for (const [name, value] of Object.entries(counts)) {
    for (const prefix of ['ddb.wru.table.', 'ddb.wru.index.', 'ddb.wru.conditionFailed.']) {
      if (name.startsWith(prefix)) add(wru, name.slice(prefix.length), value);
    }
    if (name.startsWith('ddb.wru.other.')) add(wru, 'other', value);
    if (name.startsWith('ddb.rru.')) add(rru, name.slice('ddb.rru.'.length), value);
  }
  const rounded = (m: Record<string, number>) =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, r3(v)]));
  return { wru: rounded(wru), rru: rounded(rru) };
}

/** Requests per run by operation, with their total. */
export function requestsPerRun(calls: Record<string, number>): {
  total: number;
  byOperation: Record<string, number>;
} {
  const { total: _total, ...byOperation } = calls;
  return { total: r3(Object.values(byOperation).reduce((s, v) => s + v, 0)), byOperation };
}
