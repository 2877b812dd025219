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
 * Objects by key — S3 in AWS, files locally, a Map in tests: bytes in and out, nothing of what they
 * mean (the layout and the encoding belong to the adapters above it). One conformance suite runs
 * against every implementation.
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
