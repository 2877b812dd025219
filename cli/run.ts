import { SchedulerApiError, SchedulerNetworkError } from '../client/index.js';
import { onlyFlags, parseCommandLine } from './args.js';
import type { Command } from './commands/command.js';
import { importCommand } from './commands/import.js';
import { jobCommands } from './commands/jobs.js';
import { previewCommand } from './commands/preview.js';
import { runCommands } from './commands/runs.js';
import { createContext, DEFAULT_ENDPOINT, type Io } from './context.js';
import { EXIT, UsageError } from './exit-codes.js';

export const VERSION = '0.1.0';

const COMMANDS: Command[] = [...jobCommands, ...runCommands, previewCommand, importCommand];

const GLOBAL_HELP = `Global flags:
  --endpoint <url>   API base URL (env SCHEDULER_ENDPOINT, default ${DEFAULT_ENDPOINT})
  --api-key <key>    local API key (env SCHEDULER_API_KEY)
  --sigv4 [--region] sign requests with AWS SigV4 (env SCHEDULER_AUTH=sigv4; automatic for
                     *.execute-api.* endpoints); credentials from the AWS default provider chain
  --json             machine-readable output only (lists print a JSON array)
  -q, --quiet        no progress output on stderr
  -h, --help         help for a command

Exit codes: 0 ok · 1 the API refused the request (4xx) · 2 usage error ·
            3 server error (5xx), rate limited past the retries, or unreachable.
A failure prints one line on stderr: "scheduler: <code>: <message>".`;

function help(group?: string): string {
  const shown = COMMANDS.filter((c) => !group || c.name === group || c.name.startsWith(`${group} `));
  const lines = shown.map((c) => `  scheduler ${c.name} ${c.usage.split('\n')[0]}\n      ${c.summary}`);
  return `Usage: scheduler <command> [flags]\n\nCommands:\n${lines.join('\n')}\n\n${GLOBAL_HELP}\n`;
}

function commandHelp(command: Command): string {
  return `Usage: scheduler ${command.name} ${command.usage}\n\n${command.summary}\n\n${GLOBAL_HELP}\n`;
}

/** The command named by the first positionals: `jobs create`, `preview`. */
function findCommand(positionals: string[]): { command?: Command; args: string[]; group?: string } {
  const [first, second] = positionals;
  const single = COMMANDS.find((c) => c.name === first);
  if (single) return { command: single, args: positionals.slice(1) };
  const pair = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (pair) return { command: pair, args: positionals.slice(2) };
  const isGroup = COMMANDS.some((c) => c.name.startsWith(`${first} `));
  return { args: [], ...(isGroup ? { group: first } : {}) };
}

/** One line, whatever the message holds. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

function describeApiError(error: SchedulerApiError): string {
  const details = error.details
    .filter((d) => !error.message.includes(d.message))
    .map((d) => `${d.path} ${d.message}`);
  const hint = error.status === 401 ? ' (set SCHEDULER_API_KEY or --api-key)' : '';
  return `${error.code}: ${error.message}${details.length ? ` (${details.join('; ')})` : ''}${hint}`;
}

/** Runs one command line; returns the exit code. Never throws. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  try {
    const line = parseCommandLine(argv);
    if (line.flags.version) {
      io.stdout(`${VERSION}\n`);
      return EXIT.ok;
    }
    const positionals = line.positionals[0] === 'help' ? line.positionals.slice(1) : line.positionals;
    const wantsHelp = line.flags.help || line.positionals[0] === 'help';
    const { command, args, group } = findCommand(positionals);
    if (!command) {
      if (wantsHelp || positionals.length === 0 || (group && positionals.length === 1)) {
        if (positionals.length === 0 && !wantsHelp) {
          io.stderr(help());
          return EXIT.usage;
        }
        (wantsHelp ? io.stdout : io.stderr)(help(group));
        return wantsHelp ? EXIT.ok : EXIT.usage;
      }
      throw new UsageError(
        `unknown command "${positionals.slice(0, group ? 2 : 1).join(' ')}" (see scheduler --help)`,
      );
    }
    if (wantsHelp) {
      io.stdout(commandHelp(command));
      return EXIT.ok;
    }
    onlyFlags(line, command.name, command.flags);
    await command.run(createContext(io, line.flags), args);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`scheduler: ${oneLine(error.message)}\n`);
      return EXIT.usage;
    }
    if (error instanceof SchedulerApiError) {
      io.stderr(`scheduler: ${oneLine(describeApiError(error))}\n`);
      return error.isClientError ? EXIT.apiError : EXIT.unavailable;
    }
    if (error instanceof SchedulerNetworkError) {
      io.stderr(`scheduler: ${oneLine(error.message)}\n`);
      return EXIT.unavailable;
    }
    io.stderr(`scheduler: ${oneLine((error as Error)?.message ?? String(error))}\n`);
    return EXIT.unavailable;
  }
}
