import { describe, expect, it } from 'vitest';
import { describeSchedule } from '../../cli/views.js';
import type { Schedule } from '../../schemas/job.js';

describe('describeSchedule', () => {
  it.each([
    [{ type: 'rate', everySeconds: 300 }, 'every 5m'],
    [{ type: 'rate', expression: 'rate(5 minutes)' }, 'rate(5 minutes)'],
    [
      { type: 'cron', expression: 'cron(0 9 ? * MON-FRI *)', timezone: 'Europe/London' },
      'cron "cron(0 9 ? * MON-FRI *)" Europe/London',
    ],
    [
      { type: 'once', at: 'at(2026-03-08T02:30:00)', timezone: 'America/New_York' },
      'once at(2026-03-08T02:30:00) America/New_York',
    ],
    [{ type: 'once', at: 'at(2026-03-08T02:30:00)' }, 'once at(2026-03-08T02:30:00) UTC'],
  ])('shows %j as %s, as the user wrote it', (schedule, text) => {
    expect(describeSchedule(schedule as Schedule)).toBe(text);
  });
});
