import type { ExecutionRecord, JobRecord } from '../../schemas/records.js';
import type { ExecutionEvents, KnownOfJob } from '../core/ports/execution-events.js';
import type { NotificationQueue } from '../core/ports/notification-queue.js';
import { DependencyService } from './dependencies/dependency-service.js';
import { NotificationService } from './notifications/notification-service.js';
import type { ServiceDeps } from './service-deps.js';

/**
 * The scheduler's listeners on execution events: notifications (when a notifications queue is
 * configured) and job dependencies. Each listener's failure is logged on its own, so a queue
 * outage never keeps a dependent from running, nor the reverse.
 */
export class ExecutionListeners implements ExecutionEvents {
  private readonly notifications: NotificationService | undefined;
  private readonly dependencies: DependencyService;

  constructor(
    private readonly deps: ServiceDeps,
    notificationQueue?: NotificationQueue,
  ) {
    this.notifications = notificationQueue ? new NotificationService(deps, notificationQueue) : undefined;
    this.dependencies = new DependencyService(deps);
  }

  started(job: JobRecord, execution: ExecutionRecord, lateByMs: number): Promise<void> {
    return this.guard('notifications', () => this.notifications?.started(job, execution, lateByMs));
  }

  attemptFailed(job: JobRecord, execution: ExecutionRecord): Promise<void> {
    return this.guard('notifications', () => this.notifications?.attemptFailed(job, execution));
  }

  async finished(job: JobRecord, execution: ExecutionRecord, known?: KnownOfJob): Promise<void> {
    await Promise.all([
      this.guard('notifications', () => this.notifications?.finished(job, execution)),
      this.guard('dependencies', () => this.dependencies.upstreamFinished(job, execution, known?.dependents)),
    ]);
  }

  private async guard(listener: string, call: () => Promise<void> | undefined): Promise<void> {
    try {
      await call();
    } catch (error) {
      this.deps.log.error(`${listener} listener failed`, { error: String(error) });
    }
  }
}

/** Attaches the listeners to a deps object (they read the stores and queues through it). */
export function withExecutionListeners(
  deps: ServiceDeps,
  notificationQueue?: NotificationQueue,
): ServiceDeps {
  deps.events = new ExecutionListeners(deps, notificationQueue);
  return deps;
}
