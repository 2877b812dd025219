import type { JobDefinition } from '../../schemas/job.js';
import { awsTargetProblems, DEFAULT_TARGET_ROLE_PATTERN, type TargetRolePolicy } from '../core/aws-arns.js';
import type { ErrorDetail } from '../core/errors.js';
import { JobLimitReached, TargetNotAllowed } from '../core/errors.js';
import { WINDOW_MS, windowOf } from '../core/limits.js';
import type { ExecutionWindowCounter } from '../core/ports/execution-window-counter.js';
import type { JobStore } from '../core/ports/job-store.js';
import type { TenantJobCounter } from '../core/ports/tenant-job-counter.js';
import { checkTargetUrl, EMPTY_ALLOWLIST, type TargetAllowlist } from '../core/ssrf.js';

/** What a deployment lets each tenant do (docs/security.md). Absent parts impose nothing but the SSRF rules. */
export interface TenantPolicy {
  /** SCHEDULER_TARGET_ALLOWLIST, compiled. */
  allowlist: TargetAllowlist;
  /** SCHEDULER_TARGET_ROLE_PATTERN: the roles AWS targets may name (default DEFAULT_TARGET_ROLE_PATTERN). */
  targetRoles?: TargetRolePolicy;
  /** The local runtime: SQS targets go to its emulator, so any queue URL is accepted. */
  localTargets?: boolean;
  /** SCHEDULER_MAX_JOBS_PER_TENANT and the counter that enforces it. */
  jobs?: { counter: TenantJobCounter; max: number };
  /** SCHEDULER_MAX_EXECUTIONS_PER_TENANT_PER_MINUTE: the executor asks before each call. */
  executions?: ExecutionGate;
}

export const DEFAULT_POLICY: TenantPolicy = { allowlist: EMPTY_ALLOWLIST };

/**
 * The create-time rules for everything a job would make the scheduler call: the SSRF rule for an
 * `http` target's URL and the notification webhooks, the role and partition rules for an AWS
 * target (lambdas/core/aws-arns.ts). Throws TargetNotAllowed (400) naming each refused field.
 */
export function assertTargetsAllowed(
  definition: Pick<JobDefinition, 'target' | 'notifications'>,
  policy: Pick<TenantPolicy, 'allowlist' | 'targetRoles' | 'localTargets'>,
): void {
  const { target } = definition;
  const urls: [string, string][] = target.type === 'http' ? [['target.url', target.url]] : [];
  definition.notifications.forEach((n, i) => {
    if (n.webhook !== undefined) urls.push([`notifications.${i}.webhook`, n.webhook]);
  });
  const details: ErrorDetail[] =
    target.type === 'http'
      ? []
      : awsTargetProblems(target, policy.targetRoles ?? { pattern: DEFAULT_TARGET_ROLE_PATTERN }, {
          local: policy.localTargets ?? false,
        });
  for (const [path, url] of urls) {
    const verdict = checkTargetUrl(url, policy.allowlist);
    if (!verdict.allowed) details.push({ path, message: verdict.reason });
  }
  const first = details[0];
  if (first) throw new TargetNotAllowed(`${first.path} is not allowed: ${first.message}`, details);
}

/** Statuses that still hold a place under the jobs-per-tenant limit. */
const LIVE_STATUSES = ['active', 'paused'] as const;
/** A tenant at its limit is recounted at most this often (the count drifts up as jobs complete). */
export const RECOUNT_INTERVAL_MS = 60_000;

async function countLiveJobs(jobs: JobStore, tenant: string): Promise<number> {
  let count = 0;
  for (const status of LIVE_STATUSES) {
    let cursor: string | undefined;
    do {
      const page = await jobs.listJobs(tenant, { status }, 100, cursor);
      count += page.items.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return count;
}

/**
 * Takes a place for a new job under the tenant's limit. The counter goes up on create and down on
 * cancel; jobs that complete on their own are not subtracted where they complete, so the count only
 * ever errs high — and a tenant that reaches the limit is recounted exactly (at most once a
 * minute) before it is refused. Concurrent creates can overshoot a recount by their number.
 */
export async function reserveJobPlace(
  policy: TenantPolicy | undefined,
  jobs: JobStore,
  tenant: string,
  now: number,
): Promise<void> {
  const quota = policy?.jobs;
  if (!quota) return;
  const first = await quota.counter.tryIncrement(tenant, quota.max);
  if (first.ok) return;
  if (first.recountedAt === null || now - first.recountedAt >= RECOUNT_INTERVAL_MS) {
    const live = await countLiveJobs(jobs, tenant);
    await quota.counter.reset(tenant, live, now);
    if (live < quota.max && (await quota.counter.tryIncrement(tenant, quota.max)).ok) return;
  }
  throw new JobLimitReached(
    `this tenant has ${quota.max} active or paused jobs, its limit; cancel jobs it no longer needs, or ask the operator to raise SCHEDULER_MAX_JOBS_PER_TENANT`,
  );
}

/** Gives back a job's place (its create failed, or it was cancelled). */
export async function releaseJobPlace(policy: TenantPolicy | undefined, tenant: string): Promise<void> {
  await policy?.jobs?.counter.decrement(tenant);
}

export type Admission = { admitted: true } | { admitted: false; delaySeconds: number };

/** The largest block one executor takes of a tenant's minute at once. */
const MAX_BLOCK = 100;

/**
 * The per-tenant cap on executions per minute, so one tenant's flood cannot hold the run queues
 * against everyone else. The shared counter is taken in blocks that an executor keeps for the
 * current minute: the first block of a minute is small (up to 10), each next one doubles (up to
 * 100, and a twentieth of the cap), so the writes follow the log of the demand rather than the
 * demand — 600 runs a minute cost 9 writes, not 60. A refused block is asked again halved, down
 * to one, so the cap's last units are still taken; the cap is never exceeded, and what one executor
 * holds unused is at most about what it used in that minute. Over the cap, the run waits for a
 * later minute, spread over that minute so the held-back runs do not return at once.
 */
export class ExecutionGate {
  private readonly held = new Map<string, { window: number; left: number; next: number }>();
  private readonly firstBlock: number;
  private readonly maxBlock: number;

  constructor(
    private readonly counter: ExecutionWindowCounter,
    readonly perMinute: number,
    private readonly random: () => number,
  ) {
    this.firstBlock = Math.max(1, Math.min(10, Math.floor(perMinute / 100)));
    this.maxBlock = Math.max(this.firstBlock, Math.min(MAX_BLOCK, Math.floor(perMinute / 20)));
  }

  async admit(tenant: string, now: number): Promise<Admission> {
    const window = windowOf(now);
    const mine = this.held.get(tenant);
    if (mine && mine.window === window && mine.left > 0) {
      mine.left -= 1;
      return { admitted: true };
    }
    if (this.held.size > 10_000) this.forgetOldWindows(window);
    const block = mine && mine.window === window ? mine.next : this.firstBlock;
    for (let amount = block; amount >= 1; amount = amount > 1 ? Math.floor(amount / 2) : 0) {
      if (await this.counter.tryTake(tenant, window, amount, this.perMinute)) {
        this.held.set(tenant, { window, left: amount - 1, next: Math.min(this.maxBlock, amount * 2) });
        return { admitted: true };
      }
    }
    const toNextWindow = (window + 1) * WINDOW_MS - now;
    return { admitted: false, delaySeconds: Math.ceil((toNextWindow + this.random() * WINDOW_MS) / 1000) };
  }

  private forgetOldWindows(window: number): void {
    for (const [tenant, entry] of this.held) if (entry.window !== window) this.held.delete(tenant);
  }
}
