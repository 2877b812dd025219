import type { JobDefinition } from '../../../schemas/job.js';
import { describeCycle, findCycle } from '../../core/dependency-graph.js';
import { type ErrorDetail, ValidationFailed } from '../../core/errors.js';
import type { DependencyEdges } from '../../core/ports/dependency-edges.js';
import type { JobStore } from '../../core/ports/job-store.js';

/** The graph walk at create/PATCH time stops here: a larger graph is refused rather than read forever. */
export const MAX_GRAPH_JOBS = 1000;
const PARALLEL_READS = 16;

/**
 * Checks a job's `dependsOn` before it is stored (create and PATCH): every upstream is a job of the
 * same tenant (another tenant's job reads as missing), none is listed twice, a `dependency`
 * schedule names at least one, and no cycle runs through the job — the graph reachable from the
 * new edges is walked and a cycle is named in the error. Throws ValidationFailed (400).
 */
export async function validateDependencies(
  jobs: JobStore,
  tenant: string,
  jobId: string,
  definition: Pick<JobDefinition, 'dependsOn' | 'schedule'>,
): Promise<void> {
  const { dependsOn, schedule } = definition;
  if (schedule.type === 'dependency' && dependsOn.length === 0) {
    throw new ValidationFailed('a dependency schedule needs at least one job in dependsOn', [
      { path: 'dependsOn', message: 'must name at least one job when schedule.type is "dependency"' },
    ]);
  }
  if (dependsOn.length === 0) return;
  const problems: ErrorDetail[] = [];
  dependsOn.forEach((upstreamId, i) => {
    if (dependsOn.indexOf(upstreamId) !== i)
      problems.push({ path: `dependsOn[${i}]`, message: `${upstreamId} is listed twice` });
  });
  const direct = await Promise.all(
    dependsOn.map((upstreamId) => (upstreamId === jobId ? null : jobs.getJob(upstreamId))),
  );
  direct.forEach((upstream, i) => {
    const upstreamId = dependsOn[i]!;
    if (upstreamId !== jobId && (!upstream || upstream.tenant !== tenant))
      problems.push({ path: `dependsOn[${i}]`, message: `job ${upstreamId} not found` });
  });
  if (problems.length > 0) {
    throw new ValidationFailed(
      `dependsOn is not valid: ${problems.map((p) => p.message).join('; ')}`,
      problems,
    );
  }
  const graph = await loadUpstreamGraph(jobs, tenant, jobId, dependsOn);
  const cycle = findCycle(graph, jobId);
  if (cycle) {
    const named = `dependency cycle: ${describeCycle(cycle)}`;
    throw new ValidationFailed(named, [{ path: 'dependsOn', message: named }]);
  }
}

/**
 * Every job reachable upstream of `jobId`, with the job's own edges replaced by the ones being
 * validated. Jobs of other tenants or gone since contribute no edges.
 */
async function loadUpstreamGraph(
  jobs: JobStore,
  tenant: string,
  jobId: string,
  dependsOn: readonly string[],
): Promise<Map<string, readonly string[]>> {
  const graph = new Map<string, readonly string[]>([[jobId, dependsOn]]);
  let frontier = dependsOn.filter((id) => id !== jobId);
  while (frontier.length > 0) {
    const level = [...new Set(frontier)].filter((id) => !graph.has(id));
    if (graph.size + level.length > MAX_GRAPH_JOBS) {
      throw new ValidationFailed(`the dependency graph above this job has more than ${MAX_GRAPH_JOBS} jobs`, [
        { path: 'dependsOn', message: `at most ${MAX_GRAPH_JOBS} jobs upstream` },
      ]);
    }
    const next: string[] = [];
    for (let i = 0; i < level.length; i += PARALLEL_READS) {
      const batch = level.slice(i, i + PARALLEL_READS);
      const read = await Promise.all(batch.map((id) => jobs.getJob(id)));
      read.forEach((job, k) => {
        const upstreams = job && job.tenant === tenant ? job.dependsOn : [];
        graph.set(batch[k]!, upstreams);
        next.push(...upstreams);
      });
    }
    frontier = next;
  }
  return graph;
}

/**
 * Brings the reverse edges (`#dependents#<upstream>`) in line with a job's `dependsOn`. Create
 * calls it with `before` empty; a PATCH that changes dependsOn calls it with the old list.
 * An edge that outlives its reason is harmless: the trigger checks the dependent's current
 * `dependsOn` before acting on it.
 */
export async function syncDependencyEdges(
  edges: DependencyEdges,
  jobId: string,
  before: readonly string[],
  after: readonly string[],
): Promise<void> {
  const added = after.filter((id) => !before.includes(id));
  const removed = before.filter((id) => !after.includes(id));
  await Promise.all([
    ...added.map((upstreamId) => edges.addDependent(upstreamId, jobId)),
    ...removed.map((upstreamId) => edges.removeDependent(upstreamId, jobId)),
  ]);
}
