import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { processRunBatch } from '../../../lambdas/executor/batch.js';
import type { RunMessage } from '../../../schemas/messages.js';
import { dependencyWorld, TENANT } from '../../support/dependencies.js';
import { RUN_QUEUE_URLS, sqsRecord } from '../../support/lambda-events.js';
import { silentLogger } from '../../support/services.js';

const batchOf = (runs: RunMessage[]): SQSEvent => ({
  Records: runs.map((run, i) => sqsRecord(`m${i}`, RUN_QUEUE_URLS.normal, 1, JSON.stringify(run))),
});

describe('the executor reads a job’s dependents with its batch', () => {
  it('reads no dependents of its own for a job that has none', async () => {
    const s = dependencyWorld();
    const a = await s.create({});
    const b = await s.create({});
    await s.jobService.triggerJob(TENANT, a.jobId);
    await s.jobService.triggerJob(TENANT, b.jobId);
    const getDependents = vi.spyOn(s.jobs, 'getDependents');
    const getMany = vi.spyOn(s.jobs, 'getDependentsOfMany');
    const outcomes: string[] = [];
    const runs = s.queue.take().map((r) => r.message);
    await processRunBatch(batchOf(runs), s.executor, silentLogger, (o) => outcomes.push(o));
    expect(outcomes).toEqual(['succeeded', 'succeeded']);
    expect(getMany).toHaveBeenCalledTimes(1);
    expect(getDependents).not.toHaveBeenCalled();
  });

  it('runs the dependents the batch read found, without reading them again', async () => {
    const s = dependencyWorld();
    const a = await s.create({});
    const b = await s.create({ schedule: { type: 'dependency' }, dependsOn: [a.jobId] });
    await s.jobService.triggerJob(TENANT, a.jobId);
    const getDependents = vi.spyOn(s.jobs, 'getDependents');
    const outcomes: string[] = [];
    await processRunBatch(batchOf(s.queue.take().map((r) => r.message)), s.executor, silentLogger, (o) =>
      outcomes.push(o),
    );
    expect(outcomes).toEqual(['succeeded']);
    expect(getDependents).not.toHaveBeenCalled();
    expect(await s.drain()).toEqual([`${b.jobId}:succeeded`]);
  });
});
