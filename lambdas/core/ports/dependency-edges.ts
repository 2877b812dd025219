/**
 * Reverse dependency edges: the jobs whose `dependsOn` names `upstreamId`. They live apart from the
 * jobs (as do the rounds), so a job replace (PATCH) never clobbers them.
 */
export interface DependencyEdges {
  addDependent(upstreamId: string, downstreamId: string): Promise<void>;
  removeDependent(upstreamId: string, downstreamId: string): Promise<void>;
  getDependents(upstreamId: string): Promise<string[]>;
  /**
   * The dependents of several upstreams in one read (BatchGetItem), eventually consistent: an edge
   * added a moment ago may be missing. Every id asked for is in the answer ([] for none).
   */
  getDependentsOfMany(upstreamIds: string[]): Promise<Map<string, string[]>>;
}
