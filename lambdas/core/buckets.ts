import { HOUR, iso } from './time.js';

/** FNV-1a, 32 bit: stable across runtimes and cheap. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function shardOf(jobId: string, shards: number): number {
  return fnv1a(jobId) % shards;
}

/** `2026-03-08T07` — the UTC hour an instant falls in. */
export function hourOf(instantMs: number): string {
  return iso(instantMs).slice(0, 13);
}

export function hourStart(hour: string): number {
  return Date.parse(`${hour}:00:00.000Z`);
}

/** Hour buckets from `fromHour` to the hour of `untilMs`, inclusive, oldest first. */
export function hoursBetween(fromHour: string, untilMs: number): string[] {
  const hours: string[] = [];
  for (let t = hourStart(fromHour); t <= untilMs; t += HOUR) hours.push(hourOf(t));
  return hours;
}
