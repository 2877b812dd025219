import type { Logger } from '../lambdas/core/ports/logger.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

/** One line per event on stderr, quiet by default (`SCHEDULER_LOG_LEVEL=info` shows every run decision). */
export function consoleLogger(level: LogLevel = 'warn'): Logger {
  const threshold = LEVELS[level] ?? LEVELS.warn;
  const write = (name: LogLevel) => (message: string, extra?: Record<string, unknown>) => {
    if (LEVELS[name] < threshold) return;
    process.stderr.write(
      `${new Date().toISOString()} ${name} ${message}${extra ? ` ${JSON.stringify(extra)}` : ''}\n`,
    );
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}
