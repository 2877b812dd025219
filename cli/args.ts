import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './exit-codes.js';

/** Flags every command takes. */
export const GLOBAL_FLAGS = ['endpoint', 'api-key', 'json', 'quiet', 'help', 'sigv4', 'region'] as const;

/** parseArgs options of flags of one type: `string` takes a value (`--name <value>`), `boolean` none. */
export function flagsOf<T extends 'string' | 'boolean', const N extends string>(
  type: T,
  ...names: N[]
): Record<N, { type: T }> {
  return Object.fromEntries(names.map((name) => [name, { type }])) as Record<N, { type: T }>;
}

/** Every flag of every command; each command names the ones it accepts (see commands.ts). */
export const OPTIONS = {
  ...flagsOf('string', 'endpoint', 'api-key', 'region'),
  ...flagsOf('boolean', 'json', 'version', 'sigv4'),
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  // listing
  ...flagsOf('string', 'limit', 'page-size', 'status', 'name', 'from', 'to'),
  ...flagsOf('boolean', 'all'),
  // job definition
  file: { type: 'string', short: 'f' },
  ...flagsOf('string', 'cron', 'tz', 'rate', 'at', 'start-at', 'end-at', 'url', 'method', 'body'),
  ...flagsOf('boolean', 'now'),
  header: { type: 'string', multiple: true },
  // AWS-native targets (the flag naming the resource picks the type; --body is its payload)
  ...flagsOf('string', 'lambda', 'sqs', 'eventbridge', 'stepfunctions', 'sns', 'role'),
  ...flagsOf('string', 'invocation-type', 'message-group-id', 'source', 'detail-type', 'subject'),
  ...flagsOf('string', 'timeout', 'max-attempts', 'priority', 'misfire', 'jitter', 'if-match'),
  'depends-on': { type: 'string', multiple: true },
  // preview
  ...flagsOf('string', 'count'),
  // import eventbridge
  ...flagsOf('string', 'group', 'name-prefix'),
  ...flagsOf('boolean', 'apply', 'disable-source'),
} satisfies ParseArgsConfig['options'];

export type FlagName = keyof typeof OPTIONS;
export type Flags = {
  [K in FlagName]?: (typeof OPTIONS)[K] extends { type: 'boolean' }
    ? boolean
    : (typeof OPTIONS)[K] extends { multiple: true }
      ? string[]
      : string;
};

export interface ParsedCommandLine {
  positionals: string[];
  flags: Flags;
  /** The flags as typed, for "not a flag of this command" errors. */
  given: FlagName[];
}

/** A value that starts with a dash but is no flag: `-1h`, `-10s`, `-90` (relative times, negative numbers). */
const DASH_VALUE = /^-\d/;

/**
 * `--from -1h` as `--from=-1h`. parseArgs reads a value that starts with a dash as a possible
 * forgotten argument and refuses it; for a flag that takes a value, a dash and a digit can only be
 * that value (no flag starts with a digit).
 */
function joinDashValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    const takesValue =
      name !== undefined && (OPTIONS as Record<string, { type: string }>)[name]?.type === 'string';
    if (takesValue && next !== undefined && DASH_VALUE.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

function parse(argv: string[]) {
  return parseArgs({
    args: joinDashValues(argv),
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
    tokens: true,
  });
}

export function parseCommandLine(argv: string[]): ParsedCommandLine {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    // parseArgs' messages are multi-line and mention its own API; keep the first sentence.
    const message = (error as Error).message.split('\n')[0]!.replace(/\. To specify a positional.*$/, '');
    throw new UsageError(message);
  }
  const given = [
    ...new Set(
      parsed.tokens.filter((t) => t.kind === 'option').map((t) => (t as { name: string }).name as FlagName),
    ),
  ];
  return { positionals: parsed.positionals, flags: parsed.values as Flags, given };
}

/** Rejects flags the command does not take, so a typo never goes unnoticed. */
export function onlyFlags(line: ParsedCommandLine, command: string, allowed: readonly FlagName[]): void {
  const extra = line.given.filter(
    (f) => !allowed.includes(f) && !(GLOBAL_FLAGS as readonly string[]).includes(f),
  );
  if (extra.length > 0) throw new UsageError(`${command} does not take --${extra[0]}`);
}

export function integerFlag(value: string | undefined, flag: string, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${flag} must be a whole number${min > 0 ? ` ≥ ${min}` : ''}, got "${value}"`);
  return n;
}

/** The command's positional arguments, exactly `names.length` of them. */
export function positionalArgs(args: string[], command: string, names: string[]): string[] {
  if (args.length < names.length)
    throw new UsageError(`${command} needs ${names.map((n) => `<${n}>`).join(' ')}`);
  if (args.length > names.length)
    throw new UsageError(`${command}: unexpected argument "${args[names.length]}"`);
  return args;
}
