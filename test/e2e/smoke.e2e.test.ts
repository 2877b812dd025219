import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { runSmoke, smokeOptionsFrom } from '../../scripts/smoke.js';
import { closedPort } from '../support/ports.js';
import { API_KEY, startTestRuntime, tempDataDir } from '../support/runtime.js';

/** `npm run smoke` against `npm start`: the same script a platform team runs after `cdk deploy`. */
describe('smoke test against the local runtime', () => {
  const data = tempDataDir();
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startTestRuntime(data.dir, { targetAllowlist: ['127.0.0.0/8', '::1'] });
  });
  afterAll(async () => {
    await runtime?.stop();
    data.remove();
  });

  it('passes with a receiver it watches: both runs, read back, signature verified, cleaned up', async () => {
    // Prepare
    const lines: string[] = [];
    const options = smokeOptionsFrom(
      [
        '--endpoint',
        runtime.url,
        '--api-key',
        API_KEY,
        '--listen',
        '--signing-secret',
        'test-signing-secret',
      ],
      {},
    );
    // Act
    const code = await runSmoke(options, (line) => lines.push(line));
    // Assess
    expect(code, lines.join('\n')).toBe(0);
    for (const step of [
      'health',
      'create once job',
      'create job and trigger it',
      'wait for both runs',
      'read runs back from history',
      'signature header',
      'cancel what it created',
    ]) {
      expect(
        lines.some((line) => line.startsWith(`✓ ${step}`) && / \d+ ms /.test(line)),
        step,
      ).toBe(true);
    }
    expect(lines.at(-1)).toMatch(/^PASS smoke test of http:\/\/127\.0\.0\.1:\d+: 7\/7 steps in [\d.]+ s$/);
  });

  it('passes against its default target, the deployment’s own /healthz', async () => {
    const lines: string[] = [];
    const code = await runSmoke({ endpoint: runtime.url, apiKey: API_KEY }, (line) => lines.push(line));
    expect(code, lines.join('\n')).toBe(0);
    expect(lines.find((line) => line.startsWith('- signature header'))).toContain('skipped');
  });

  it('fails with exit code 1, names the failing step and still cleans up', async () => {
    const lines: string[] = [];
    const target = `http://127.0.0.1:${await closedPort()}/down`;
    const code = await runSmoke(
      { endpoint: runtime.url, apiKey: API_KEY, targetUrl: target, timeoutSeconds: 30 },
      (line) => lines.push(line),
    );
    expect(code).toBe(1);
    expect(lines.find((line) => line.startsWith('✗ wait for both runs'))).toMatch(/ended failed/);
    expect(lines.some((line) => line.startsWith('✓ cancel what it created'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^FAIL /);
  });

  it('refuses options that cannot work', () => {
    expect(() => smokeOptionsFrom([], {})).toThrow(/--endpoint is required/);
    expect(() => smokeOptionsFrom(['--endpoint', 'http://x', '--signing-secret', 's'], {})).toThrow(
      /needs --listen/,
    );
    expect(() => smokeOptionsFrom(['--endpoint', 'http://x', '--timeout-seconds', '0'], {})).toThrow(
      /positive/,
    );
  });
});
