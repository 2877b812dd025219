import { createHmac, timingSafeEqual } from 'node:crypto';
import type { LookupAddress } from 'node:dns';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GuardedHttpCaller } from '../../../lambdas/adapters/guarded-http-caller.js';
import { signingKeysFrom } from '../../../lambdas/composition/runtime-deps.js';
import { parseSigningSecrets, signatureHeader, verifySignature } from '../../../lambdas/core/signing.js';
import { EMPTY_ALLOWLIST } from '../../../lambdas/core/ssrf.js';
import { ExecutorService } from '../../../lambdas/services/executor/executor-service.js';
import { JobService } from '../../../lambdas/services/jobs/job-service.js';
import { CreateJobBody } from '../../../schemas/job.js';
import { jobBody } from '../../support/scheduler.js';
import { fakeDeps } from '../../support/services.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
type Verify = (header: string, body: string, secrets: string[], toleranceSeconds?: number) => boolean;

/** The README's verification snippet, run as written (its import line supplied here). */
function readmeVerifier(): Verify {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .find((code) => code.includes('function verify('));
  if (!block) throw new Error('README has no ```js block with function verify(');
  const code = block.replace(/^import .*$/m, '');
  return new Function('createHmac', 'timingSafeEqual', `${code}\nreturn verify;`)(
    createHmac,
    timingSafeEqual,
  ) as Verify;
}

describe('the target request: SSRF at call time', () => {
  it('fails a run whose host resolves to a private address, once, without retrying or connecting', async () => {
    const f = fakeDeps(NOW);
    const lookups: string[] = [];
    f.deps.http = new GuardedHttpCaller({
      allowlist: EMPTY_ALLOWLIST,
      resolve: async (host): Promise<LookupAddress[]> => {
        lookups.push(host);
        return [{ address: '10.1.2.3', family: 4 }];
      },
    });
    const job = await new JobService(f.deps).createJob(
      'team-a',
      CreateJobBody.parse({
        schedule: { type: 'immediate' },
        target: { url: 'https://rebound.example.com/hook' },
        retry: { maxAttempts: 5 },
      }),
    );
    const run = f.queue.take()[0]!;

    expect(await new ExecutorService(f.deps, 'exec-1').handle(run.message)).toBe('failed');

    const execution = await f.executions.getExecution(run.message.executionId);
    expect(execution?.attempts).toHaveLength(1);
    expect(execution?.attempts[0]?.error).toBe(
      'target_not_allowed: rebound.example.com resolves to 10.1.2.3, which is private',
    );
    expect(f.queue.sent).toEqual([]);
    expect(lookups).toEqual(['rebound.example.com']);
    expect(job.target).toMatchObject({ url: 'https://rebound.example.com/hook' });
  });
});

describe('signing', () => {
  it('signs with the tenant’s own first secret; a `*` entry covers the others', async () => {
    const f = fakeDeps(NOW);
    f.deps.signing = signingKeysFrom(parseSigningSecrets('team-a=a-new|a-old,*=shared'));
    const jobs = new JobService(f.deps);
    const executor = new ExecutorService(f.deps, 'exec-1');
    const immediate = jobBody({ schedule: { type: 'immediate' }, name: 'x' });
    await jobs.createJob('team-a', immediate);
    await jobs.createJob('team-b', immediate);
    for (const run of f.queue.take()) await executor.handle(run.message);
    const [a, b] = f.http.requests;
    const now = NOW / 1000;
    const check = (request: typeof a, secrets: string[]) =>
      verifySignature(request!.headers['x-scheduler-signature']!, request!.body ?? '', secrets, now);

    expect(check(a, ['a-new'])).toBe(true);
    expect(check(a, ['a-old'])).toBe(false);
    expect(check(a, ['shared'])).toBe(false);
    expect(check(b, ['shared'])).toBe(true);
    expect(check(b, ['a-new', 'a-old'])).toBe(false);
  });

  it('verifies with the README snippet during a rotation: either secret passes, a stale or forged one fails', () => {
    const verify = readmeVerifier();
    const body = '{"report":"daily"}';
    const nowSeconds = Math.floor(Date.now() / 1000);
    const byNew = signatureHeader('new-secret', nowSeconds, body);
    const byOld = signatureHeader('old-secret', nowSeconds, body);
    const rotation = ['new-secret', 'old-secret'];

    expect(verify(byNew, body, rotation)).toBe(true);
    expect(verify(byOld, body, rotation)).toBe(true);
    expect(verify(byOld, body, ['new-secret'])).toBe(false);
    expect(verify(byNew, `${body} `, rotation)).toBe(false);
    expect(verify(signatureHeader('new-secret', nowSeconds - 600, body), body, rotation)).toBe(false);
    expect(verify('t=1,v1=zz', body, rotation)).toBe(false);
    expect(verify('garbage', body, rotation)).toBe(false);
  });
});
