import { UsageError } from './exit-codes.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `5m`, `2h`, `1d` → seconds. */
export function parseDurationSeconds(text: string, flag: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw new UsageError(`${flag} must be a duration like 30s, 5m, 2h or 1d, got "${text}"`);
  return Number(match[1]) * (UNITS[match[2] || 's'] ?? 1);
}

/** An ISO instant, or one relative to now: `+10s`, `-1h`. Returns ISO-8601 UTC. */
export function parseInstant(text: string, flag: string, now: number): string {
  const relative = /^([+-])(\d+[smhd]?)$/.exec(text.trim());
  if (relative) {
    const seconds = parseDurationSeconds(relative[2]!, flag);
    return new Date(now + (relative[1] === '+' ? 1 : -1) * seconds * 1000).toISOString();
  }
  const at = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(at))
    throw new UsageError(`${flag} must be an ISO-8601 time or relative like +10s / -1h, got "${text}"`);
  return new Date(at).toISOString();
}

/** `2026-03-08 07:00:00Z`: UTC, to the second. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

/** `3m 20s`, `2h 5m`, `1d 3h`; at most two units. */
export function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  const parts: Array<[number, string]> = [
    [Math.floor(s / 86_400), 'd'],
    [Math.floor((s % 86_400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, u]) => `${n}${u}`)
    .join(' ');
}

/** `2026-03-08 07:00:00Z (in 3m 20s)` or `(5s ago)`. */
export function timeWithRelative(iso: string | null | undefined, now: number): string {
  if (!iso) return '-';
  const delta = Date.parse(iso) - now;
  return `${shortTime(iso)} (${delta >= 0 ? `in ${span(delta)}` : `${span(delta)} ago`})`;
}
