import { describe, expect, it } from 'vitest';
import {
  DynamoExecutionWindowCounter,
  DynamoTenantJobCounter,
} from '../../lambdas/adapters/dynamo-tenant-counters.js';
import { MemoryExecutionWindowCounter } from '../../lambdas/adapters/memory-execution-window-counter.js';
import type { ExecutionWindowCounter } from '../../lambdas/core/ports/execution-window-counter.js';
import type { TenantJobCounter } from '../../lambdas/core/ports/tenant-job-counter.js';
import { dynaliteTables } from '../support/dynalite.js';
import { MemoryTenantJobCounter } from '../support/memory-tenant-counters.js';

const dynamo = dynaliteTables();

let unique = 0;
/** A tenant no other case has touched (the DynamoDB table is shared by the cases). */
const freshTenant = () => `tenant-${++unique}-${Date.now()}`;

function jobCounterConformance(name: string, make: () => TenantJobCounter) {
  describe(`${name} TenantJobCounter`, () => {
    it('counts up to the limit, then refuses and says when it was last recounted', async () => {
      const counter = make();
      const tenant = freshTenant();
      expect(await counter.tryIncrement(tenant, 2)).toEqual({ ok: true });
      expect(await counter.tryIncrement(tenant, 2)).toEqual({ ok: true });
      expect(await counter.tryIncrement(tenant, 2)).toEqual({ ok: false, recountedAt: null });
      expect(await counter.tryIncrement(freshTenant(), 2)).toEqual({ ok: true });

      await counter.reset(tenant, 2, 1_000);
      expect(await counter.tryIncrement(tenant, 2)).toEqual({ ok: false, recountedAt: 1_000 });
    });

    it('gives places back, never below zero, and takes a recount as the new count', async () => {
      const counter = make();
      const tenant = freshTenant();
      await counter.decrement(tenant); // nothing to give back yet
      expect(await counter.tryIncrement(tenant, 1)).toEqual({ ok: true });
      await counter.decrement(tenant);
      await counter.decrement(tenant);
      expect(await counter.tryIncrement(tenant, 1)).toEqual({ ok: true });
      expect((await counter.tryIncrement(tenant, 1)).ok).toBe(false);

      await counter.reset(tenant, 0, 5_000);
      expect(await counter.tryIncrement(tenant, 1)).toEqual({ ok: true });
    });
  });
}

function windowCounterConformance(name: string, make: () => ExecutionWindowCounter) {
  describe(`${name} ExecutionWindowCounter`, () => {
    it('takes amounts while the minute’s sum stays within the cap, per tenant', async () => {
      const counter = make();
      const [a, b] = [freshTenant(), freshTenant()];
      const window = 29_600_000;
      expect(await counter.tryTake(a, window, 3, 5)).toBe(true);
      expect(await counter.tryTake(a, window, 3, 5)).toBe(false);
      expect(await counter.tryTake(a, window, 2, 5)).toBe(true);
      expect(await counter.tryTake(a, window, 1, 5)).toBe(false);
      expect(await counter.tryTake(b, window, 5, 5)).toBe(true);
      expect(await counter.tryTake(freshTenant(), window, 6, 5)).toBe(false);
    });

    it('starts every minute afresh', async () => {
      const counter = make();
      const tenant = freshTenant();
      expect(await counter.tryTake(tenant, 29_600_100, 2, 2)).toBe(true);
      expect(await counter.tryTake(tenant, 29_600_100, 1, 2)).toBe(false);
      expect(await counter.tryTake(tenant, 29_600_101, 2, 2)).toBe(true);
    });
  });
}

jobCounterConformance('DynamoDB (dynalite)', () => new DynamoTenantJobCounter(dynamo.client, 'jobs'));
jobCounterConformance('in-memory', () => new MemoryTenantJobCounter());
windowCounterConformance(
  'DynamoDB (dynalite)',
  () => new DynamoExecutionWindowCounter(dynamo.client, 'jobs'),
);
windowCounterConformance('in-memory', () => new MemoryExecutionWindowCounter());
