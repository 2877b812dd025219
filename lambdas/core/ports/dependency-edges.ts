/**
 * Reverse dependency edges: the jobs whose `dependsOn` names `upstreamId`. They live apart from the
 * jobs (as do the rounds), so a job replace (PATCH) never clobbers them.
 */
export interface DependencyEdges {
  addDependent(upstreamId: string, downstreamId: string): Promise<void>;
  removeDependent(upstreamId: string, downstreamId: string): Promise<void>;
  getDependents(upstreamId: string): Promise<string[]>;
}
