import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file that names the process using a data directory (its pid, one line). */
export const LOCK_FILE = 'scheduler.pid';

export type DataDirLock = { held: true; release(): void } | { held: false; pid: number };

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function pidIn(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Takes the data directory for this process: creates `scheduler.pid` exclusively. A file left by a
 * process that is gone (killed, crashed) or that names no pid is taken over; one naming a running
 * process other than this one means the directory is in use, and by whom. (The database's own
 * LevelDB lock stays the final arbiter: see startDynamo.)
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const file = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return {
        held: true,
        release: () => {
          if (pidIn(file) !== process.pid) return;
          try {
            unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = pidIn(file);
    if (pid !== null && pid !== process.pid && isRunning(pid)) return { held: false, pid };
    try {
      unlinkSync(file); // stale: its process is gone
    } catch {
      // Another starter removed it first; the next attempt settles who holds it.
    }
  }
  const pid = pidIn(file);
  return { held: false, pid: pid ?? 0 };
}
