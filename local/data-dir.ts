import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../lambdas/core/ports/logger.js';
import { type DataDirLock, lockDataDir } from './data-dir-lock.js';

/**
 * Jobs keep the shard they were created on, so the shard count may grow but never shrink: the
 * jobs of a dropped shard would never be watched again. The data directory remembers the count.
 */
export function settledShardCount(dataDir: string, requested: number, log: Logger): number {
  const file = join(dataDir, 'shards.json');
  let stored = 0;
  try {
    stored = Number((JSON.parse(readFileSync(file, 'utf8')) as { shards?: unknown }).shards) || 0;
  } catch {
    stored = 0;
  }
  if (requested < stored) {
    log.warn(
      `SCHEDULER_SHARDS=${requested} is below the ${stored} shards this data directory uses; keeping ${stored}`,
    );
  }
  const shards = Math.max(requested, stored);
  if (shards !== stored) writeFileSync(file, JSON.stringify({ shards }));
  return shards;
}

/** A clear, one-line reason the runtime cannot start. */
export class StartupError extends Error {}

/** The data directory, usable and taken for this process; returns how to give it back. */
export function takeDataDir(dataDir: string): () => void {
  let lock: DataDirLock;
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
    lock = lockDataDir(dataDir);
  } catch (error) {
    throw new StartupError(`data directory ${resolve(dataDir)} is not usable: ${(error as Error).message}`);
  }
  if (!lock.held) {
    const by = lock.pid > 0 ? ` (pid ${lock.pid})` : '';
    throw new StartupError(
      `data directory ${resolve(dataDir)} is in use by another scheduler${by}; stop it, or set SCHEDULER_DATA_DIR to another directory`,
    );
  }
  return lock.release;
}
