/** Job id -> the job ids it depends on (its upstreams). */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

/**
 * A cycle reachable from `start` following dependsOn edges, as the path that closes it
 * (`[a, b, a]`: a depends on b, b on a), or null. Iterative depth-first search, so a long chain
 * cannot overflow the stack; nodes missing from the graph have no upstreams.
 */
export function findCycle(graph: DependencyGraph, start: string): string[] | null {
  const done = new Set<string>();
  const onPath = new Map<string, number>();
  const path: string[] = [];
  const stack: { node: string; next: number }[] = [];
  const enter = (node: string) => {
    onPath.set(node, path.length);
    path.push(node);
    stack.push({ node, next: 0 });
  };
  enter(start);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const upstreams = graph.get(top.node) ?? [];
    if (top.next >= upstreams.length) {
      stack.pop();
      path.pop();
      onPath.delete(top.node);
      done.add(top.node);
      continue;
    }
    const upstream = upstreams[top.next++]!;
    const at = onPath.get(upstream);
    if (at !== undefined) return [...path.slice(at), upstream];
    if (!done.has(upstream)) enter(upstream);
  }
  return null;
}

/** `job_A → job_B → job_A`, the way the API names a cycle. */
export function describeCycle(cycle: readonly string[]): string {
  return cycle.join(' → ');
}
