import type { ArchiveRow } from '../../../schemas/archive.js';
import type { HistorySlice } from '../history.js';
import type { ExecutionFilter } from './execution-store.js';

/** The TTL removals of one stream batch, as rows (the public execution plus its tenant). */
export interface RemovedBatch {
  /**
   * When the batch's first removal happened (epoch ms, DynamoDB's `ApproximateCreationDateTime`):
   * it names the batch's staging partition, so a batch delivered again lands where it did before.
   */
  removedAt: number;
  rows: ArchiveRow[];
}

export interface ArchivedHistoryQuery {
  tenant: string;
  jobId: string;
  filter: ExecutionFilter;
  /** Continue strictly before this instant (a cursor); absent: from the newest. */
  before?: string | undefined;
  limit: number;
}

/** Execution history past the hot window, as the archiver and the history reads use it. */
export interface HistoryArchive {
  /** Stores a batch of removals durably; the same batch again adds nothing. */
  stage(batch: RemovedBatch): Promise<void>;
  /** Archived rows of one job matching the filter, scheduled strictly before `before`, newest first. */
  jobSlice(query: ArchivedHistoryQuery): Promise<HistorySlice<ArchiveRow>>;
  /** One archived execution of the tenant; null for another tenant's or an unknown id. */
  find(tenant: string, executionId: string): Promise<ArchiveRow | null>;
}
