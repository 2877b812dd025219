import type { Share } from './attribution.js';
import type { Counts } from './meter.js';
import { perExecution } from './usage.js';

/**
 * The per-run ledger's arithmetic and text: every request a run bore, in order, with the share
 * it bore and what that request cost (write units by table and index, read units, SQS requests).
 */

export type Source = 'api' | 'watcher' | 'executor';

export interface LedgerLine {
  /** ms from the run's scheduled instant to the request's answer. */
  atMs: number;
  source: Source;
  operation: string;
  target: string;
  ok: boolean;
  fraction: number;
  /** Of the whole request (not the share). */
  wru: number;
  /** `table 1, due 2, byTenant 1`: where the write units went. */
  writes: string;
  rru: number;
  sqsRequests: number;
}

export interface RunLedger {
  label: string;
  run: string;
  lines: LedgerLine[];
  /** The run's counters: each request's, times the share the run bore. */
  counts: Counts;
  totals: {
    dynamodbRequests: number;
    sqsRequests: number;
    wru: number;
    rru: number;
    byOperation: Record<string, number>;
    wruByIndex: Record<string, number>;
    costPerMillionUsd: number;
  };
}

const r3 = (n: number) => Math.round(n * 1000) / 1000;

function sumPrefix(counts: Counts, prefix: string): number {
  return Object.entries(counts).reduce((s, [k, v]) => (k.startsWith(prefix) ? s + v : s), 0);
}

/** Where a request's write units went: the table, each index apart, a failed condition. */
export function writesOf(counts: Counts): string {
  const parts: string[] = [];
  for (const [name, units] of Object.entries(counts)) {
    if (name.startsWith('ddb.wru.table.')) parts.push(`table ${units}`);
    else if (name.startsWith('ddb.wru.index.')) parts.push(`${name.split('/').pop()} ${units}`);
    else if (name.startsWith('ddb.wru.conditionFailed.')) parts.push(`failed condition ${units}`);
  }
  return parts.join(', ');
}

const EXECUTOR_QUEUE_CALLS = /^(ReceiveMessage|DeleteMessage|ChangeMessageVisibility)/;

/**
 * Who made a request: the executor (it held the run's message: the receive, the delete, the reads
 * of the job meanwhile, and every request naming the run after its first receive), the API (it
 * happened during one of the ledger's own calls for this job), or else the planner.
 */
export function sourceOf(
  share: Share,
  apiCalls: readonly { from: number; to: number }[],
  firstReceiveSeq = Number.POSITIVE_INFINITY,
): Source {
  const { record, via } = share;
  if (via === 'in-flight' || EXECUTOR_QUEUE_CALLS.test(record.operation)) return 'executor';
  if (via === 'run' && record.seq > firstReceiveSeq) return 'executor';
  if (apiCalls.some((c) => record.at >= c.from && record.at <= c.to)) return 'api';
  return 'watcher';
}

export function runLedger(
  label: string,
  run: string,
  shares: readonly Share[],
  scheduledAt: number,
  apiCalls: readonly { from: number; to: number }[] = [],
): RunLedger {
  const counts: Counts = {};
  const firstReceiveSeq = Math.min(
    ...shares.filter((s) => s.record.received?.includes(run)).map((s) => s.record.seq),
  );
  const lines = [...shares]
    .sort((a, b) => a.record.seq - b.record.seq)
    .map((share): LedgerLine => {
      const { record, fraction } = share;
      for (const [k, v] of Object.entries(record.counts)) counts[k] = (counts[k] ?? 0) + v * fraction;
      return {
        atMs: record.at - scheduledAt,
        source: sourceOf(share, apiCalls, firstReceiveSeq),
        operation: record.operation,
        target: record.target,
        ok: record.ok,
        fraction: r3(fraction),
        wru: sumPrefix(record.counts, 'ddb.wru.'),
        writes: writesOf(record.counts),
        rru: r3(sumPrefix(record.counts, 'ddb.rru.')),
        sqsRequests: record.counts['sqs.billedRequests'] ?? 0,
      };
    });
  const usage = perExecution(counts, 1);
  const { total: dynamodbRequests, ...dynamodbByOperation } = usage.ddbCalls;
  return {
    label,
    run,
    lines,
    counts,
    totals: {
      dynamodbRequests: dynamodbRequests ?? 0,
      sqsRequests: usage.sqs.billedRequests,
      wru: usage.wru.total,
      rru: usage.rru.total,
      byOperation: { ...dynamodbByOperation, ...usage.sqsCalls },
      wruByIndex: usage.wru.byIndex,
      costPerMillionUsd: usage.costPerMillionUsd.total,
    },
  };
}

/** 1, ½, ⅓ … as `1/3`; other shares as decimals. */
export function shareText(fraction: number): string {
  if (Math.abs(fraction - 1) < 1e-6) return '1';
  const k = Math.round(1 / fraction);
  return Math.abs(1 / k - fraction) < 1e-3 ? `1/${k}` : fraction.toFixed(3);
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

export function formatLedger(ledger: RunLedger): string {
  const head = `${pad('#', 3)} ${lpad('at ms', 8)}  ${pad('by', 8)} ${pad('request', 27)} ${pad('table/index or queue', 32)} ${pad('share', 6)} ${pad('WRU (where)', 40)} ${lpad('RRU', 5)} ${lpad('SQS', 3)}`;
  const rows = ledger.lines.map((l, i) =>
    [
      pad(String(i + 1), 3),
      lpad(String(l.atMs), 8),
      '',
      pad(l.source, 8),
      pad(`${l.operation}${l.ok ? '' : ' (failed)'}`, 27),
      pad(l.target, 32),
      pad(shareText(l.fraction), 6),
      pad(l.wru ? `${l.wru} (${l.writes})` : '', 40),
      lpad(l.rru ? String(l.rru) : '', 5),
      lpad(l.sqsRequests ? String(l.sqsRequests) : '', 3),
    ].join(' '),
  );
  const t = ledger.totals;
  const ops = Object.entries(t.byOperation)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  const indexes = Object.entries(t.wruByIndex)
    .map(([index, n]) => `${index.split('/').pop()} ${n}`)
    .join(', ');
  return [
    `${ledger.label}: ${ledger.run}`,
    head,
    ...rows,
    `    this run bears: ${t.dynamodbRequests} DynamoDB requests, ${t.sqsRequests} SQS requests (${ops}); ` +
      `${t.wru} WRU${indexes ? ` (indexes: ${indexes})` : ''}, ${t.rru} RRU; $${t.costPerMillionUsd} per million such runs (on-demand, bench/pricing.ts)`,
  ].join('\n');
}
