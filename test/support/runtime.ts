import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { consoleLogger } from '../../local/logger.js';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../../local/runtime.js';
import { type Sink, startSink } from './sink.js';

export const API_KEY = 'test-key';
export const OTHER_KEY = 'other-key';

export function tempDataDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'scheduler-test-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The local runtime on a free port with two tenants, for end-to-end tests. */
export function startTestRuntime(
  dataDir: string,
  overrides: Partial<LocalRuntimeOptions> = {},
): Promise<LocalRuntime> {
  return startLocalRuntime({
    port: 0,
    dataDir,
    apiKeys: new Map([
      [API_KEY, 'team-a'],
      [OTHER_KEY, 'team-b'],
    ]),
    shards: 4,
    watchIntervalMs: 60_000,
    signingSecrets: { '*': ['test-signing-secret'] },
    shutdownGraceMs: 2000,
    log: consoleLogger('error'),
    ...overrides,
  });
}

/** A small JSON client for the API under test. */
export function apiClient(baseUrl: string, key: string | null = API_KEY) {
  return async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(key ? { 'x-api-key': key } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: response.status, headers: response.headers, body: json };
  };
}

/**
 * The end-to-end fixture: a sink (a real HTTP target on loopback, answering as `respond` says) and
 * the local runtime on a fresh data directory, started before the file's tests and stopped (the
 * directory removed) after them. `runtime` may depend on the sink (its URL, say). Read the parts
 * inside tests: they exist once `beforeAll` ran.
 */
export function e2eRuntime(
  options: {
    runtime?: Partial<LocalRuntimeOptions> | ((sink: Sink) => Partial<LocalRuntimeOptions>);
    respond?: Parameters<Sink['respond']>[0];
  } = {},
) {
  const data = tempDataDir();
  let started: { runtime: LocalRuntime; sink: Sink; api: ReturnType<typeof apiClient> } | undefined;
  beforeAll(async () => {
    const sink = await startSink();
    if (options.respond) sink.respond(options.respond);
    const overrides = typeof options.runtime === 'function' ? options.runtime(sink) : options.runtime;
    const runtime = await startTestRuntime(data.dir, overrides);
    started = { runtime, sink, api: apiClient(runtime.url) };
  });
  afterAll(async () => {
    await started?.runtime.stop();
    await started?.sink.close();
    data.remove();
  });
  const ready = () => {
    if (!started) throw new Error('e2eRuntime: the runtime is ready only inside tests');
    return started;
  };
  return {
    data,
    get runtime() {
      return ready().runtime;
    },
    get sink() {
      return ready().sink;
    },
    get api() {
      return ready().api;
    },
  };
}
