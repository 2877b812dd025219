/** Instants are epoch milliseconds inside the core and ISO-8601 UTC strings (with ms) at the edges. */
export const iso = (ms: number): string => new Date(ms).toISOString();

export function ms(isoString: string): number {
  const value = Date.parse(isoString);
  if (Number.isNaN(value)) throw new Error(`not an ISO instant: ${isoString}`);
  return value;
}

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
