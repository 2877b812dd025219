import type { ArchiveRow } from '../../../schemas/archive.js';
import type { HistorySlice } from '../history.js';
import type { ExecutionFilter } from '../ports.js';

/**
 * The ports of the execution archive, in one place: the object store it lives in (S3 in AWS,
 * files locally, a Map in tests) and the history it offers the services.
 */

/** Bytes `start` through `end`, both inclusive (as an HTTP `Range: bytes=start-end`). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredObject {
  key: string;
  /** Bytes. */
  size: number;
}

/**
 * Objects by key: bytes in and out, nothing of what they mean (the layout and the encoding belong
 * to the adapters above it). One conformance suite runs against every implementation.
 */
export interface ArchiveStore {
  /**
   * Stores an object, replacing one of the same key. With `ifAbsent`, stores it only if no object
   * has the key, atomically (S3 `If-None-Match: *`): false when one had.
   */
  put(key: string, body: Uint8Array, options?: { ifAbsent?: boolean }): Promise<boolean>;
  /** The object's bytes, or only `range` of them; null when no object has the key. */
  get(key: string, range?: ByteRange): Promise<Uint8Array | null>;
  /** Every object under `prefix` (after `startAfter`, when given), in key order. */
  list(prefix: string, options?: { startAfter?: string }): Promise<StoredObject[]>;
  /** Removes objects; a key with no object is not an error. */
  delete(keys: string[]): Promise<void>;
}

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
