import { type ChildProcess, spawn } from 'node:child_process';
import { waitFor } from './sink.js';

export interface SchedulerProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or the signal that ended it). */
  exited: Promise<number | NodeJS.Signals>;
}

/** `npm start`'s entry point in a child process, as a user runs it (so a test can SIGKILL it). */
export async function startSchedulerProcess(env: Record<string, string>): Promise<SchedulerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    env: { ...process.env, PORT: '0', SCHEDULER_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1));
  });
  const url = await waitFor(
    () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1],
    30_000,
    `the scheduler to start:\n${out}`,
  );
  return { url, child, output: () => out, exited };
}
