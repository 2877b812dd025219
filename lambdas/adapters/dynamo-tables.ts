/**
 * The key layout of the two tables: key, index and attribute names, shared by the DynamoDB adapters
 * (which alone write these attributes: dynamo-job-items.ts, dynamo-execution-items.ts) and the CDK
 * storage construct that creates the tables.
 */
import { DUE_JOB_FIELDS } from '../core/ports/due-index.js';

export const TABLES = {
  jobs: {
    partitionKey: 'jobId',
    dueIndex: 'due',
    dueIndexPartitionKey: 'dueBucket',
    dueIndexSortKey: 'dueKey',
    /**
     * What `due` projects besides the keys: what the watcher plans from (no read of the job). An
     * advance moves the index key anyway; a write to the rest of the job (its body, headers) writes
     * no `due` entry unless it changes one of these.
     */
    dueIndexAttributes: [...DUE_JOB_FIELDS, 'nextRunAt'],
    byTenantIndex: 'byTenant',
    byTenantPartitionKey: 'tenant',
    byTenantSortKey: 'createdKey',
    /**
     * What `byTenant` projects besides the keys: the name, for the list's name filter. Not the
     * status: a one-time job's completion (and a pause, resume or cancel) then writes no `byTenant`
     * entry; the list filters on the status of the jobs it reads by key (dynamo-job-store.ts).
     */
    byTenantIndexAttributes: ['name'],
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
