import { afterAll, beforeAll, describe, it } from 'vitest';
import { HANDLER_SCENARIOS, type ScenarioState } from '../support/handler-scenarios.js';
import { type LambdaHarness, startLambdaHarness } from '../support/lambda-harness.js';

/**
 * The deployed handlers end to end in one process: API Gateway events, SQS batches, watcher ticks
 * and stream batches against dynalite and fauxqs, as Lambda would invoke them. The steps and their
 * assertions are in test/support/handler-scenarios.ts (test/infra/least-privilege.test.ts reads the
 * commands the same steps send).
 */
let h: LambdaHarness;
const state: ScenarioState = {};
beforeAll(async () => {
  h = await startLambdaHarness();
});
afterAll(async () => {
  await h?.stop();
});

describe('Lambda handlers', () => {
  for (const scenario of HANDLER_SCENARIOS) {
    it(scenario.name, () => scenario.run(h, state));
  }
});
