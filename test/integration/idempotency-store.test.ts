import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoIdempotencyStore } from '../../lambdas/adapters/dynamo-idempotency-store.js';
import {
  IDEMPOTENCY_TTL_SECONDS,
  type IdempotencyRecord,
  IN_PROGRESS_LOCK_MS,
  keyHashFor,
  newClaim,
  requestHashFor,
} from '../../lambdas/core/idempotency.js';
import type { IdempotencyStore } from '../../lambdas/core/ports/idempotency-store.js';
import { dynaliteTables } from '../support/dynalite.js';
import { MemoryIdempotencyStore } from '../support/memory-idempotency.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const dynamo = dynaliteTables();

let keys = 0;
/** A fresh key per test, so the suites share one table without meeting. */
function claimAt(now: number, body = '{"a":1}', tenant = 't'): IdempotencyRecord {
  return newClaim(tenant, keyHashFor('POST /v1/jobs', `key-${++keys}`), requestHashFor(body), now);
}

const completed = (claim: IdempotencyRecord): IdempotencyRecord => ({
  ...claim,
  state: 'completed',
  response: { statusCode: 201, headers: { location: '/v1/jobs/job_1' }, body: '{"id":"job_1"}' },
});

/** The conditions every IdempotencyStore keeps (the DynamoDB adapter and the in-memory fake). */
function idempotencyConformance(name: string, make: () => IdempotencyStore) {
  describe(`IdempotencyStore: ${name}`, () => {
    it('lets one request claim a key; the next finds it in progress', async () => {
      const store = make();
      const claim = claimAt(NOW);
      expect(await store.claim(claim, NOW)).toEqual({ claimed: true });
      const second = await store.claim({ ...claim, createdAt: NOW + 10 }, NOW + 10);
      expect(second).toMatchObject({ claimed: false, existing: { state: 'in_progress', createdAt: NOW } });
    });

    it('replays a completed claim for 24 hours, then lets the key be claimed afresh', async () => {
      const store = make();
      const claim = claimAt(NOW);
      await store.claim(claim, NOW);
      await store.complete(completed(claim));
      const later = NOW + IDEMPOTENCY_TTL_SECONDS * 1000 - 1000;
      const replay = await store.claim({ ...claim, createdAt: later }, later);
      expect(replay).toEqual({ claimed: false, existing: completed(claim) });
      const expired = NOW + IDEMPOTENCY_TTL_SECONDS * 1000;
      expect(await store.claim({ ...claim, createdAt: expired }, expired)).toEqual({ claimed: true });
    });

    it('hands an in-progress claim over once its lock lapses; the old request then writes nothing', async () => {
      const store = make();
      const claim = claimAt(NOW);
      await store.claim(claim, NOW);
      const takeover = {
        ...claim,
        createdAt: NOW + IN_PROGRESS_LOCK_MS,
        lockedUntil: NOW + 2 * IN_PROGRESS_LOCK_MS,
      };
      expect(await store.claim(takeover, takeover.createdAt)).toEqual({ claimed: true });
      await store.complete(completed(claim)); // the old request finishing late
      await store.release(claim);
      const seen = await store.claim(
        { ...claim, createdAt: NOW + IN_PROGRESS_LOCK_MS + 5 },
        NOW + IN_PROGRESS_LOCK_MS + 5,
      );
      expect(seen).toMatchObject({
        claimed: false,
        existing: { state: 'in_progress', createdAt: takeover.createdAt },
      });
    });

    it('frees a released claim at once', async () => {
      const store = make();
      const claim = claimAt(NOW);
      await store.claim(claim, NOW);
      await store.release(claim);
      expect(await store.claim({ ...claim, createdAt: NOW + 1 }, NOW + 1)).toEqual({ claimed: true });
    });

    it('keeps the same key apart per tenant', async () => {
      const store = make();
      const a = claimAt(NOW, '{}', 'tenant-a');
      await store.claim(a, NOW);
      expect(await store.claim({ ...a, tenant: 'tenant-b' }, NOW)).toEqual({ claimed: true });
    });
  });
}

idempotencyConformance('DynamoDB (dynalite)', () => new DynamoIdempotencyStore(dynamo.client, 'jobs'));
idempotencyConformance('in-memory', () => new MemoryIdempotencyStore());

describe('DynamoIdempotencyStore item', () => {
  it('lives in the Jobs table out of every index, with expiresAt as its TTL', async () => {
    const claim = claimAt(NOW);
    await new DynamoIdempotencyStore(dynamo.client, 'jobs').claim(claim, NOW);
    const out = await dynamo.client.send(
      new GetCommand({ TableName: 'jobs', Key: { jobId: `idem#t#${claim.keyHash}` } }),
    );
    expect(out.Item).toMatchObject({ expiresAt: Math.floor(NOW / 1000) + IDEMPOTENCY_TTL_SECONDS });
    for (const indexed of ['tenant', 'createdKey', 'dueBucket', 'dueKey']) {
      expect(out.Item?.[indexed]).toBeUndefined();
    }
  });
});
