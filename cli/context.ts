import { type RequestAuth, SchedulerClient, sigV4Auth } from '../client/index.js';
import type { Flags } from './args.js';
import { UsageError } from './exit-codes.js';

/** Where the CLI reads and writes; a test or a shell gives real streams. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** True when stderr is a terminal (progress overwrites one line). */
  stderrIsTty: boolean;
  env: Record<string, string | undefined>;
  readStdin: () => string;
  now: () => number;
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:3000';

export interface Context {
  io: Io;
  flags: Flags;
  client: SchedulerClient;
  /** Prints a value: JSON with --json, else the human rendering. */
  print(value: unknown, human: () => string): void;
  /** A progress note for long lists (stderr; silent with --quiet). */
  progress(text: string, done?: boolean): void;
}

function authFor(flags: Flags, env: Io['env'], endpoint: string): RequestAuth | undefined {
  const key = flags['api-key'] ?? env.SCHEDULER_API_KEY;
  if (key) return undefined;
  const host = new URL(endpoint).hostname;
  if (flags.sigv4 || env.SCHEDULER_AUTH === 'sigv4' || host.includes('.execute-api.')) {
    return sigV4Auth({ ...(flags.region ? { region: flags.region } : {}) });
  }
  return undefined;
}

export function createContext(io: Io, flags: Flags): Context {
  const endpoint = flags.endpoint ?? io.env.SCHEDULER_ENDPOINT ?? DEFAULT_ENDPOINT;
  const apiKey = flags['api-key'] ?? io.env.SCHEDULER_API_KEY;
  let client: SchedulerClient;
  try {
    const auth = authFor(flags, io.env, endpoint);
    client = new SchedulerClient({
      endpoint,
      ...(apiKey ? { apiKey } : {}),
      ...(auth ? { auth } : {}),
      headers: { 'user-agent': 'scheduler-cli/0.1' },
    });
  } catch (error) {
    throw new UsageError(`--endpoint: ${(error as Error).message}`);
  }
  let progressShown = false;
  return {
    io,
    flags,
    client,
    print(value, human) {
      io.stdout(`${flags.json ? JSON.stringify(value, null, 2) : human()}\n`);
    },
    progress(text, done = false) {
      if (flags.quiet) return;
      if (io.stderrIsTty) {
        // One line, rewritten in place, cleared at the end.
        io.stderr(done ? (progressShown ? '\r\x1b[2K' : '') : `\r\x1b[2K${text}`);
        progressShown = !done;
      } else if (!done) {
        io.stderr(`${text}\n`);
      }
    },
  };
}
