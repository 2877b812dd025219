/** Pure figures the benchmark reports: percentiles, histograms, windows, duplicates and lost runs. */

export interface Summary {
  count: number;
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100); NaN for an empty one. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

const round = (n: number) => (Number.isFinite(n) ? Math.round(n * 10) / 10 : n);

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    minMs: round(sorted[0] ?? Number.NaN),
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? Number.NaN),
    meanMs: round(sorted.length ? sum / sorted.length : Number.NaN),
  };
}

export interface Bin {
  /** Inclusive lower edge. */
  from: number;
  count: number;
}

/**
 * Fixed-width bins from floor(min/width)*width up to the max, contiguous (empty ones included) so
 * a plot needs no gap logic. `range` widens the bins to a common span (several sets on one plot);
 * values outside it are counted in the end bins.
 */
export function histogram(
  values: readonly number[],
  width: number,
  range?: { min: number; max: number },
): Bin[] {
  if ((values.length === 0 && !range) || width <= 0) return [];
  let min = range?.min ?? Number.POSITIVE_INFINITY;
  let max = range?.max ?? Number.NEGATIVE_INFINITY;
  if (!range) {
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  const first = Math.floor(min / width);
  const last = Math.floor(max / width);
  const bins: Bin[] = [];
  for (let i = first; i <= last; i++) bins.push({ from: i * width, count: 0 });
  for (const v of values) {
    const index = Math.min(last, Math.max(first, Math.floor(v / width))) - first;
    bins[index]!.count++;
  }
  return bins;
}

/** A bin width that gives about `target` bins over the range, rounded to 1, 2 or 5 × 10^n. */
export function niceWidth(values: readonly number[], target = 40): number {
  if (values.length === 0) return 1;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const raw = Math.max(1e-9, (max - min) / target);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].find((m) => m * pow >= raw)!;
  return Math.max(1, step * pow);
}

export interface TimedValue {
  /** When the event belongs (epoch ms), e.g. the scheduled instant of a run. */
  at: number;
  value: number;
}

export interface Window extends Summary {
  from: number;
}

/** Summaries per consecutive window of `windowMs`, starting at `origin`; empty windows are left out. */
export function windows(points: readonly TimedValue[], windowMs: number, origin: number): Window[] {
  const groups = new Map<number, number[]>();
  for (const p of points) {
    const index = Math.floor((p.at - origin) / windowMs);
    const list = groups.get(index) ?? [];
    list.push(p.value);
    groups.set(index, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, values]) => ({ from: origin + index * windowMs, ...summarize(values) }));
}

export interface Arrival {
  /** The Idempotency-Key (= execution id). */
  key: string;
  /** The status the sink answered; a 2xx means the target accepted the run. */
  status: number;
}

/**
 * A duplicate is an arrival for an execution whose target already answered 2xx to an earlier one:
 * the target was called twice without a failure between (a retry after a 5xx is not a duplicate).
 */
export function countDuplicates(arrivals: readonly Arrival[]): number {
  const accepted = new Set<string>();
  let duplicates = 0;
  for (const { key, status } of arrivals) {
    if (accepted.has(key)) duplicates++;
    else if (status >= 200 && status < 300) accepted.add(key);
  }
  return duplicates;
}

/** Expected executions that never reached the target. */
export function countLost(expected: Iterable<string>, seen: ReadonlySet<string>): number {
  let lost = 0;
  for (const key of expected) if (!seen.has(key)) lost++;
  return lost;
}

/** Runs `task(i)` for i in [0, n) with at most `concurrency` at once, in order of i. */
export async function runPool(
  n: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, concurrency) }, worker));
}
