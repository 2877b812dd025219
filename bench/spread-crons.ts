/**
 * Crons spread evenly over a period: job i fires at the seconds ≡ i (mod period), so n jobs of a
 * period give n / period runs every second. The period must divide a minute.
 */

export function checkPeriod(period: number): void {
  if (!Number.isInteger(period) || period < 1 || 60 % period !== 0) {
    throw new Error(`period ${period}: it must be a whole number of seconds that divides 60`);
  }
}

/** The 6-field cron (seconds first) of job `i`. */
export function spreadCron(i: number, period: number): string {
  checkPeriod(period);
  return period === 60 ? `${i % 60} * * * * *` : `${i % period}/${period} * * * * *`;
}

/** The execution ids (`jobId:scheduledAt`) of job `i`'s runs in [from, to) (epoch ms). */
export function spreadRuns(jobId: string, i: number, period: number, from: number, to: number): string[] {
  checkPeriod(period);
  const firstSecond = Math.ceil(from / 1000);
  const offset = ((((i % period) - firstSecond) % period) + period) % period;
  const keys: string[] = [];
  for (let s = firstSecond + offset; s * 1000 < to; s += period) {
    keys.push(`${jobId}:${new Date(s * 1000).toISOString()}`);
  }
  return keys;
}
