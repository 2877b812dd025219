/** Progress of a dependent job towards its next dependency run. */
export interface DependencyRound {
  /** Upstream id -> the execution whose outcome arrived since the last round closed. */
  arrived: Record<string, string>;
  /** Bumped by every write; rounds close conditionally on it, so one closes exactly once. */
  rev: number;
  /** When the last round closed (the dependent ran or was skipped). */
  lastClosedAt?: string;
}

/** Each dependent job's round: the upstream outcomes that arrived since it last ran. */
export interface DependencyRounds {
  /** The downstream's current dependency round (rev 0 and nothing arrived when none was recorded). */
  getDependencyRound(downstreamId: string): Promise<DependencyRound>;
  /** Marks an upstream's finished run as arrived in the downstream's round; returns the round after the write. */
  recordUpstreamRun(downstreamId: string, upstreamId: string, executionId: string): Promise<DependencyRound>;
  /**
   * Closes the round, only if it is still at `expectedRev`: forgets the given arrivals and stamps
   * `lastClosedAt`. False when another writer changed the round first (the caller re-reads).
   */
  closeDependencyRound(
    downstreamId: string,
    expectedRev: number,
    consumed: string[],
    at: string,
  ): Promise<boolean>;
}
