import type { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDependencyEdges } from '../../lambdas/adapters/dynamo-dependency-edges.js';
import { jobItemOf } from '../../lambdas/adapters/dynamo-job-items.js';
import { DynamoJobStore } from '../../lambdas/adapters/dynamo-job-store.js';
import { aJob } from '../integration/store-conformance.js';

/** A DocumentClient over a few Jobs table items that answers BatchGetItem and counts the requests. */
function fakeClient(items: Record<string, unknown>[]) {
  const requests: string[][] = [];
  const client = {
    send: async (command: BatchGetCommand) => {
      const keys = (command.input.RequestItems?.jobs?.Keys ?? []).map((k) => String(k.jobId));
      requests.push(keys);
      return { Responses: { jobs: items.filter((item) => keys.includes(String(item.jobId))) } };
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, requests };
}

describe('reads of one table asked for in the same tick', () => {
  it('go out as one BatchGetItem, and each adapter gets its own items', async () => {
    const [a, b] = [aJob(), aJob()];
    const { client, requests } = fakeClient([
      jobItemOf(a, Date.now()),
      jobItemOf(b, Date.now()),
      { jobId: `#dependents#${a.jobId}`, downstream: new Set([b.jobId]) },
    ]);
    const [jobs, dependents] = await Promise.all([
      new DynamoJobStore(client, 'jobs').getJobs([a.jobId, b.jobId]),
      new DynamoDependencyEdges(client, 'jobs').getDependentsOfMany([a.jobId, b.jobId]),
    ]);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.sort()).toEqual(
      [a.jobId, b.jobId, `#dependents#${a.jobId}`, `#dependents#${b.jobId}`].sort(),
    );
    expect(jobs.map((j) => j.jobId).sort()).toEqual([a.jobId, b.jobId].sort());
    expect(dependents).toEqual(
      new Map([
        [a.jobId, [b.jobId]],
        [b.jobId, []],
      ]),
    );
  });

  it('fails every read of the request when it fails', async () => {
    const client = {
      send: async () => Promise.reject(new Error('throttled')),
    } as unknown as DynamoDBDocumentClient;
    const reads = await Promise.allSettled([
      new DynamoJobStore(client, 'jobs').getJobs(['job_a']),
      new DynamoDependencyEdges(client, 'jobs').getDependentsOfMany(['job_a']),
    ]);
    expect(reads.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
