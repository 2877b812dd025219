/** One page of a list. */
export interface Page<T> {
  items: T[];
  /** Opaque; null at the end. */
  nextCursor: string | null;
}
