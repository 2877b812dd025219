/**
 * Memory of the scheduler's functions, in MB. A module of its own (no CDK import) so the bench's
 * cost model (bench/pricing.ts) prices the functions at the sizes the stack deploys.
 */

/** Every handler's default (the watcher plans many jobs' runs a tick: CPU is worth buying there). */
export const DEFAULT_MEMORY_MB = 512;

/**
 * The executor mostly waits: for a run's sub-second residual, for DynamoDB and for the target.
 * Lambda bills wall time × memory, so 256 MB halves the largest per-run compute line against 512
 * (docs/decisions/executor-memory.md); `ExecutorsProps.memorySize` raises it for heavy targets.
 */
export const EXECUTOR_MEMORY_MB = 256;
