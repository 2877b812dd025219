import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Level } from 'level';
import { afterAll, describe, expect, it } from 'vitest';
import { type SchedulerProcess, startSchedulerProcess } from '../support/process.js';
import { tempDataDir } from '../support/runtime.js';

/** `npm start`'s entry point run until it exits on its own (or is killed after `timeoutMs`). */
function runUntilExit(env: Record<string, string>, timeoutMs = 30_000) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    env: { ...process.env, PORT: '0', SCHEDULER_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise<{ code: number | NodeJS.Signals; stdout: string; stderr: string; hung: boolean }>(
    (resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? signal ?? -1, stdout, stderr, hung: signal === 'SIGKILL' });
      });
    },
  );
}

/** Issue 20 item 10: a data directory in use is reported in one line, with a non-zero exit, never a hang. */
describe('npm start on a data directory that is in use', () => {
  const dirs: { remove(): void }[] = [];
  const running: SchedulerProcess[] = [];
  const dataDir = () => {
    const data = tempDataDir();
    dirs.push(data);
    return data.dir;
  };

  afterAll(async () => {
    for (const proc of running) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    for (const data of dirs) data.remove();
  });

  it('refuses a second scheduler in one line naming the first one’s pid, and exits 1', async () => {
    const dir = dataDir();
    const first = await startSchedulerProcess({ SCHEDULER_DATA_DIR: dir });
    running.push(first);

    const second = await runUntilExit({ SCHEDULER_DATA_DIR: dir });

    expect(second.hung).toBe(false);
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr.trimEnd().split('\n')).toEqual([
      `scheduler: data directory ${dir} is in use by another scheduler (pid ${first.child.pid}); stop it, or set SCHEDULER_DATA_DIR to another directory`,
    ]);
    // The first one is unharmed.
    expect((await fetch(`${first.url}/healthz`)).status).toBe(200);
  });

  it('takes over the lock of a scheduler that was killed, and releases its own on a clean stop', async () => {
    const dir = dataDir();
    const killed = await startSchedulerProcess({ SCHEDULER_DATA_DIR: dir });
    killed.child.kill('SIGKILL');
    await killed.exited;

    const next = await startSchedulerProcess({ SCHEDULER_DATA_DIR: dir });
    expect((await fetch(`${next.url}/healthz`)).status).toBe(200);
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);

    const again = await startSchedulerProcess({ SCHEDULER_DATA_DIR: dir });
    running.push(again);
    expect((await fetch(`${again.url}/healthz`)).status).toBe(200);
  });

  it('says in one line that the data is locked when another program holds the database, and exits 1', async () => {
    const dir = dataDir();
    const holder = new Level(join(dir, 'dynamodb'));
    await holder.open();
    try {
      const blocked = await runUntilExit({ SCHEDULER_DATA_DIR: dir });
      expect(blocked.hung).toBe(false);
      expect(blocked.code).toBe(1);
      const lines = blocked.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^scheduler: the database under ${dir}/dynamodb is locked by another process`),
      );
      expect(blocked.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await holder.close();
    }
  });

  it('ignores a lock file left by a process that no longer exists, or that is not a pid', async () => {
    for (const content of ['999999999\n', 'garbage']) {
      const dir = dataDir();
      writeFileSync(join(dir, 'scheduler.pid'), content);
      const proc = await startSchedulerProcess({ SCHEDULER_DATA_DIR: dir });
      expect((await fetch(`${proc.url}/healthz`)).status).toBe(200);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
    }
  });
});

/** A GET with exactly this Host header. */
function getWithHost(url: string, path: string, host: string, key: string): Promise<number> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host, 'x-api-key': key }, setHost: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The settings of issue 20 as `npm start` reads them from the environment. */
describe('npm start settings', () => {
  const data = tempDataDir();
  afterAll(() => data.remove());

  it('allows no loopback target when SCHEDULER_TARGET_ALLOWLIST is set empty, and answers SCHEDULER_ALLOWED_HOSTS', async () => {
    const proc = await startSchedulerProcess({
      SCHEDULER_DATA_DIR: data.dir,
      SCHEDULER_TARGET_ALLOWLIST: '',
      SCHEDULER_ALLOWED_HOSTS: 'scheduler.test, other.test',
    });
    try {
      const created = await fetch(`${proc.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'x-api-key': 'dev-key', 'content-type': 'application/json' },
        body: JSON.stringify({ schedule: { type: 'immediate' }, target: { url: `${proc.url}/healthz` } }),
      });
      expect(created.status).toBe(400);
      expect(((await created.json()) as { error: { code: string } }).error.code).toBe('target_not_allowed');
      expect(await getWithHost(proc.url, '/v1/jobs', 'scheduler.test', 'dev-key')).toBe(200);
      expect(await getWithHost(proc.url, '/v1/jobs', 'other.test:3000', 'dev-key')).toBe(200);
      expect(await getWithHost(proc.url, '/v1/jobs', 'evil.example', 'dev-key')).toBe(421);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
  });

  it('refuses a SCHEDULER_HAND_OVER_AHEAD_SECONDS over a minute in one line, exit 1', async () => {
    const out = await runUntilExit({ SCHEDULER_DATA_DIR: data.dir, SCHEDULER_HAND_OVER_AHEAD_SECONDS: '61' });
    expect(out.code).toBe(1);
    expect(out.stderr).toBe('scheduler: SCHEDULER_HAND_OVER_AHEAD_SECONDS must be at most 60, got 61\n');
  });

  it('refuses a malformed SCHEDULER_ALLOWED_HOSTS entry in one line, exit 1', async () => {
    const out = await runUntilExit({
      SCHEDULER_DATA_DIR: data.dir,
      SCHEDULER_ALLOWED_HOSTS: 'http://scheduler.test',
    });
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(
      'scheduler: SCHEDULER_ALLOWED_HOSTS entry "http://scheduler.test" is not a host name or address (give no scheme or port)\n',
    );
  });
});
