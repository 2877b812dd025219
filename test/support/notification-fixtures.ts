import { NotifierService } from '../../lambdas/services/notifications/notifier-service.js';
import type { NotificationMessage } from '../../schemas/notification.js';
import { MemoryEmailSender } from './memory-notifications.js';
import { fakeDeps, silentLogger } from './services.js';

/** A `dead` notification of job_x's 12:00 run, as the notifications queue carries it. */
export function aDeadNotification(
  tenant: string,
  channel: NotificationMessage['channel'],
): NotificationMessage {
  return {
    v: 1,
    tenant,
    channel,
    payload: {
      id: 'job_x:2026-05-01T12:00:00.000Z#dead',
      event: 'dead',
      occurredAt: '2026-05-01T12:00:05.000Z',
      job: { id: 'job_x', name: 'nightly' },
      execution: {
        id: 'job_x:2026-05-01T12:00:00.000Z',
        scheduledAt: '2026-05-01T12:00:00.000Z',
        trigger: 'schedule',
        startedAt: '2026-05-01T12:00:00.010Z',
        finishedAt: '2026-05-01T12:00:05.000Z',
        lateByMs: 10,
      },
      status: 'dead',
      attempts: 3,
      error: 'HTTP 503',
      links: { execution: '/v1/executions/job_x%3A2026-05-01T12%3A00%3A00.000Z', job: '/v1/jobs/job_x' },
    },
  };
}

/** team-a's dead notification on `channel`. */
export function notificationTo(channel: NotificationMessage['channel']): NotificationMessage {
  return aDeadNotification('team-a', channel);
}

/** A NotifierService over a scripted HTTP caller and an email sender in memory, signing with `tenant-secret`. */
export function notifierAt(now: number) {
  const f = fakeDeps(now);
  const email = new MemoryEmailSender();
  const service = new NotifierService({
    http: f.http,
    email,
    signing: { secretsFor: () => ['tenant-secret'] },
    clock: f.clock,
    log: silentLogger,
  });
  return { ...f, email, service };
}
