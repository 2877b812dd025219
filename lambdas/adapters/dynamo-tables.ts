/**
 * The key layout of the two tables: key, index and attribute names, shared by the DynamoDB adapters
 * (which alone write these attributes: dynamo-job-items.ts, dynamo-execution-items.ts) and the CDK
 * storage construct that creates the tables.
 */
export const TABLES = {
  jobs: {
    partitionKey: 'jobId',
    dueIndex: 'due',
    dueIndexPartitionKey: 'dueBucket',
    dueIndexSortKey: 'dueKey',
    byTenantIndex: 'byTenant',
    byTenantPartitionKey: 'tenant',
    byTenantSortKey: 'createdKey',
  },
  executions: {
    /** Keyed by job: a job's history is a Query of its partition, a lookup by id a GetItem. */
    partitionKey: 'jobId',
    sortKey: 'scheduledAt',
    pendingIndex: 'pending',
    pendingPartitionKey: 'pendingShard',
    pendingSortKey: 'pendingAt',
    deadIndex: 'dead',
    deadPartitionKey: 'deadTenant',
    deadSortKey: 'finishedAt',
    ttlAttribute: 'expiresAt',
  },
} as const;
