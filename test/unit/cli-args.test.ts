import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../cli/args.js';
import { UsageError } from '../../cli/exit-codes.js';
import { parseInstant } from '../../cli/time.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');

describe('CLI: relative times as the help shows them', () => {
  it.each([
    [['runs', 'list', 'job_x', '--from', '-1h'], 'from', '-1h'],
    [['runs', 'list', 'job_x', '--from', '-90', '--to', '-10s'], 'to', '-10s'],
    [['jobs', 'create', '--at', '-10s', '--url', 'https://example.com'], 'at', '-10s'],
    [['jobs', 'create', '--at', '+10s', '--url', 'https://example.com'], 'at', '+10s'],
    [['preview', '* * * * *', '--from', '-2d'], 'from', '-2d'],
    [['runs', 'list', 'job_x', '--from=-1h'], 'from', '-1h'],
  ])('reads %j', (argv, flag, value) => {
    const line = parseCommandLine(argv);
    expect(line.flags[flag as 'from' | 'to' | 'at']).toBe(value);
    expect(line.given).toContain(flag);
  });

  it('turns the relative value into the instant it names', () => {
    const { flags } = parseCommandLine(['runs', 'list', 'job_x', '--from', '-1h']);
    expect(parseInstant(flags.from!, '--from', NOW)).toBe('2026-05-01T11:00:00.000Z');
  });

  it('still refuses a flag that takes a value when a flag follows it instead', () => {
    expect(() => parseCommandLine(['runs', 'list', 'job_x', '--from', '--json'])).toThrow(UsageError);
    expect(() => parseCommandLine(['jobs', 'create', '--name', '-q'])).toThrow(UsageError);
  });

  it('leaves a dash-number after a boolean flag a positional, and a trailing string flag an error', () => {
    expect(parseCommandLine(['runs', 'list', '--json', 'job_x']).positionals).toEqual([
      'runs',
      'list',
      'job_x',
    ]);
    expect(() => parseCommandLine(['runs', 'list', 'job_x', '--from'])).toThrow(UsageError);
  });
});
