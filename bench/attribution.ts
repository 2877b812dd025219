import type { Counts, RequestRecord } from './meter.js';

/**
 * Attributes every metered AWS request to the runs it serves, so a run's cost is known even when
 * the work for it happens long before it (a watcher that queues a job's runs up to 15 minutes
 * ahead sends and advances once for many runs):
 *
 * - a request that names runs (an execution item, a run message sent, received, deleted or whose
 *   visibility changed) is split evenly over them (and over any jobs it also names);
 * - a request that names a job (the job item, its helper items, a due-index query that found it)
 *   while one of that job's run messages is held by the executor (received, not yet deleted) is
 *   the executor's: it goes to the run(s) held (`in-flight`);
 * - otherwise it is the planner's (`plan`): the job's planning requests are grouped into cycles,
 *   each ending at a write to the job (its advance) made with no run held, or with runs sent
 *   since the last one; a cycle's requests are split over the runs sent for the job in that cycle.
 *   A cycle that ends before any send (the API writes a new job, then sends its first runs; an
 *   advance written before its send) takes the runs sent right after it, up to the job's next
 *   planning request; one that sends nothing at all (a PATCH) carries its requests to the next
 *   cycle. The cycle still open at the end goes to the runs it sent, or else to the previous
 *   cycle's;
 * - what names nothing (empty receives, watermarks, an empty due query) and a job's requests
 *   when the job has no runs at all are overhead: `steadyState` charges the overhead made during
 *   the measured window to that window's runs.
 */

export type Via = 'run' | 'in-flight' | 'plan';

export interface Share {
  record: RequestRecord;
  /** Part of the request's cost this run bears (the shares of one request add up to 1). */
  fraction: number;
  via: Via;
}

export interface Attribution {
  byRun: Map<string, Share[]>;
  /** Requests (or parts of them) that serve no run. */
  unattributed: { record: RequestRecord; fraction: number }[];
}

type Charges = { record: RequestRecord; fraction: number }[];

interface Cycle {
  open: Charges;
  sent: string[];
  last: string[];
  /** A cycle that ended before sending: it takes the sends that follow, until the next planning request. */
  awaiting?: { charges: Charges; sent: string[] };
}

const isSend = (r: RequestRecord) => r.service === 'sqs' && r.operation.startsWith('SendMessage');

export function attribute(records: readonly RequestRecord[]): Attribution {
  const byRun = new Map<string, Share[]>();
  const unattributed: Attribution['unattributed'] = [];
  /** Job -> run -> receives not yet settled. */
  const held = new Map<string, Map<string, number>>();
  const cycles = new Map<string, Cycle>();

  const give = (run: string, record: RequestRecord, fraction: number, via: Via) => {
    let list = byRun.get(run);
    if (!list) {
      list = [];
      byRun.set(run, list);
    }
    list.push({ record, fraction, via });
  };
  const cycleOf = (job: string) => {
    let cycle = cycles.get(job);
    if (!cycle) {
      cycle = { open: [], sent: [], last: [] };
      cycles.set(job, cycle);
    }
    return cycle;
  };
  const spread = (charges: Charges, runs: readonly string[]) => {
    for (const { record, fraction } of charges) {
      for (const run of runs) give(run, record, fraction / runs.length, 'plan');
    }
  };
  /** The cycle that ended before sending gets the runs sent after it, or joins the open cycle. */
  const settleAwaiting = (cycle: Cycle) => {
    const { awaiting } = cycle;
    if (!awaiting) return;
    cycle.awaiting = undefined;
    if (awaiting.sent.length > 0) {
      spread(awaiting.charges, awaiting.sent);
      cycle.last = awaiting.sent;
    } else cycle.open.unshift(...awaiting.charges);
  };
  const close = (cycle: Cycle) => {
    const charges = cycle.open;
    cycle.open = [];
    if (cycle.sent.length > 0) {
      spread(charges, cycle.sent);
      cycle.last = cycle.sent;
      cycle.sent = [];
    } else cycle.awaiting = { charges, sent: [] };
  };

  const ordered = [...records].sort((a, b) => a.seq - b.seq);
  for (const record of ordered) {
    const subjects = record.runs.length + record.jobs.length;
    if (subjects === 0) {
      unattributed.push({ record, fraction: 1 });
      continue;
    }
    const fraction = 1 / subjects;
    for (const { run, job } of record.runs) {
      give(run, record, fraction, 'run');
      if (isSend(record)) {
        const cycle = cycleOf(job);
        const sent = cycle.awaiting?.sent ?? cycle.sent;
        if (!sent.includes(run)) sent.push(run);
      }
    }
    for (const job of record.jobs) {
      const cycle = cycleOf(job);
      const holding = [...(held.get(job)?.keys() ?? [])];
      const planning = record.query || holding.length === 0 || (record.write && cycle.sent.length > 0);
      if (!planning) {
        for (const run of holding) give(run, record, fraction / holding.length, 'in-flight');
        continue;
      }
      settleAwaiting(cycle);
      cycle.open.push({ record, fraction });
      if (record.write) close(cycle);
    }
    const jobOf = new Map(record.runs.map((r) => [r.run, r.job]));
    for (const run of record.received ?? []) {
      const job = jobOf.get(run) ?? run;
      const runs = held.get(job) ?? new Map<string, number>();
      runs.set(run, (runs.get(run) ?? 0) + 1);
      held.set(job, runs);
    }
    for (const run of record.settled ?? []) {
      const job = jobOf.get(run) ?? run;
      held.get(job)?.delete(run);
    }
  }

  for (const cycle of cycles.values()) {
    settleAwaiting(cycle);
    const charges = cycle.open;
    if (charges.length === 0) continue;
    const runs = cycle.sent.length > 0 ? cycle.sent : cycle.last;
    if (runs.length > 0) spread(charges, runs);
    else unattributed.push(...charges);
  }
  return { byRun, unattributed };
}

function addScaled(into: Counts, counts: Counts, by: number): void {
  for (const [name, value] of Object.entries(counts)) into[name] = (into[name] ?? 0) + value * by;
}

export interface SteadyState {
  /** The counters of the window's runs: each request weighted by the share those runs bear. */
  counts: Counts;
  runs: number;
  /** Of those runs, how many a planning cycle reached and how many named requests reached. */
  coverage: { planned: number; named: number };
  /**
   * Overhead requests made during the window (charged to its runs; their counters are
   * `overheadCounts`) and requests serving no run at all, in or out of the window.
   */
  overhead: { requestsInWindow: number; unattributedRequests: number };
  overheadCounts: Counts;
}

/**
 * What the runs of a window cost: the shares attributed to `runs` plus the overhead requests
 * made while the window lasted ([from, to) epoch ms), which a steady load pays per unit of time.
 */
export function steadyState(
  attribution: Attribution,
  runs: Iterable<string>,
  window: { from: number; to: number },
): SteadyState {
  const counts: Counts = {};
  let n = 0;
  const coverage = { planned: 0, named: 0 };
  for (const run of runs) {
    n++;
    const shares = attribution.byRun.get(run) ?? [];
    if (shares.some((s) => s.via === 'plan')) coverage.planned++;
    if (shares.some((s) => s.via === 'run')) coverage.named++;
    for (const share of shares) addScaled(counts, share.record.counts, share.fraction);
  }
  let requestsInWindow = 0;
  const overheadCounts: Counts = {};
  for (const { record, fraction } of attribution.unattributed) {
    if (record.at < window.from || record.at >= window.to) continue;
    addScaled(counts, record.counts, fraction);
    addScaled(overheadCounts, record.counts, fraction);
    requestsInWindow += fraction;
  }
  return {
    counts,
    runs: n,
    coverage,
    overhead: {
      requestsInWindow: Math.round(requestsInWindow * 1000) / 1000,
      unattributedRequests:
        Math.round(attribution.unattributed.reduce((s, u) => s + u.fraction, 0) * 1000) / 1000,
    },
    overheadCounts,
  };
}
