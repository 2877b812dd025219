/**
 * Time zone offsets. A zone's timeline is a series of spans with a constant UTC offset; the
 * transitions between them are found once per zone and UTC year by sampling Intl daily and
 * bisecting to the second, then served from memory.
 */
import { InvalidSchedule } from '../errors.js';
import { DAY, SECOND } from '../time.js';

export interface Transition {
  /** First instant with the new offset. */
  at: number;
  offsetBefore: number;
  offsetAfter: number;
}

interface ZoneYear {
  /** Offset at the first instant of the year. */
  startOffset: number;
  /** Transitions with `start < at <= end of year`, ascending. */
  transitions: Transition[];
}

/** Any zone transition happens within this distance of an instant whose offset it could affect. */
export const MAX_OFFSET_CHANGE_MS = 2 * DAY;

export class ZoneOffsets {
  readonly #format: Intl.DateTimeFormat;
  readonly #fixed: boolean;
  readonly #years = new Map<number, ZoneYear>();

  constructor(timeZone: string) {
    this.#format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' });
    const resolved = this.#format.resolvedOptions().timeZone;
    this.#fixed = resolved === 'UTC' || resolved.startsWith('Etc/');
  }

  offsetAt(instant: number): number {
    const year = this.#year(new Date(instant).getUTCFullYear());
    let offset = year.startOffset;
    for (const transition of year.transitions) {
      if (transition.at > instant) break;
      offset = transition.offsetAfter;
    }
    return offset;
  }

  /** The latest transition with `floor < at <= instant`, or null. */
  lastTransitionAtOrBefore(instant: number, floor: number): Transition | null {
    for (let year = new Date(instant).getUTCFullYear(); Date.UTC(year + 1, 0, 1) > floor; year--) {
      const transitions = this.#year(year).transitions;
      for (let i = transitions.length - 1; i >= 0; i--) {
        const transition = transitions[i];
        if (transition === undefined || transition.at <= floor) return null;
        if (transition.at <= instant) return transition;
      }
    }
    return null;
  }

  /** The earliest transition with `instant < at <= ceiling`, or null. */
  firstTransitionAfter(instant: number, ceiling: number): Transition | null {
    for (let year = new Date(instant).getUTCFullYear(); Date.UTC(year, 0, 1) < ceiling; year++) {
      for (const transition of this.#year(year).transitions) {
        if (transition.at > ceiling) return null;
        if (transition.at > instant) return transition;
      }
    }
    return null;
  }

  #sample(instant: number): number {
    const match = /GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(this.#format.format(instant));
    if (match === null) throw new Error(`cannot read the UTC offset from "${this.#format.format(instant)}"`);
    const [, sign, hours = '0', minutes = '0', seconds = '0'] = match;
    const magnitude = ((Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds)) * SECOND;
    return sign === '-' ? -magnitude : magnitude;
  }

  #year(year: number): ZoneYear {
    const cached = this.#years.get(year);
    if (cached !== undefined) return cached;
    const start = Date.UTC(year, 0, 1);
    const end = Date.UTC(year + 1, 0, 1);
    const startOffset = this.#sample(start);
    const transitions: Transition[] = [];
    if (!this.#fixed) {
      let before = start;
      let offsetBefore = startOffset;
      while (before < end) {
        const after = Math.min(before + DAY, end);
        const offsetAfter = this.#sample(after);
        if (offsetAfter !== offsetBefore) transitions.push(this.#bisect(before, after, offsetBefore));
        before = after;
        offsetBefore = offsetAfter;
      }
    }
    const zoneYear = { startOffset, transitions };
    this.#years.set(year, zoneYear);
    return zoneYear;
  }

  /** The transition in (low, high], given the offset at `low` differs from the one at `high`. */
  #bisect(low: number, high: number, offsetBefore: number): Transition {
    let lo = low;
    let hi = high;
    while (hi - lo > SECOND) {
      const middle = lo + Math.floor((hi - lo) / 2 / SECOND) * SECOND;
      if (this.#sample(middle) === offsetBefore) lo = middle;
      else hi = middle;
    }
    return { at: hi, offsetBefore, offsetAfter: this.#sample(hi) };
  }
}

const zoneCache = new Map<string, ZoneOffsets>();

export function isValidTimezone(tz: string): boolean {
  if (tz.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The offsets of an IANA zone; throws InvalidSchedule (naming `schedule.timezone`) for an unknown one. */
export function zoneOffsets(timeZone: string): ZoneOffsets {
  const cached = zoneCache.get(timeZone);
  if (cached !== undefined) return cached;
  if (!isValidTimezone(timeZone)) {
    const problem = `unknown time zone "${timeZone}"; use an IANA name such as "Europe/London"`;
    throw new InvalidSchedule(problem, [{ path: 'schedule.timezone', message: problem }]);
  }
  const zone = new ZoneOffsets(timeZone);
  zoneCache.set(timeZone, zone);
  return zone;
}
