import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_SHARDS } from '../../lambdas/core/watcher-schedule.js';
import { RUN_REDELIVERY } from '../../lambdas/executor/redelivery.js';
import { NOTIFICATION_REDELIVERY } from '../../lambdas/notifier/redelivery.js';
import { ANONYMOUS_ROUTE_THROTTLE } from '../../lib/constructs/api.js';
import { EXECUTOR_TIMEOUT } from '../../lib/constructs/executors.js';
import { acknowledgementsIn } from '../../lib/synth-report.js';
import { MAX_TIMEOUT_SECONDS } from '../../schemas/job.js';
import { logicalId, resources, type Synthesized, synth } from './support.js';

/** docs/deploy.md's limits, retry, alarm, cost and cdk-nag sections say what the template does. */
const doc = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
const sectionOf = (title: string) => {
  const start = doc.indexOf(`## ${title}`);
  expect(start, title).toBeGreaterThanOrEqual(0);
  const end = doc.indexOf('\n## ', start + 3);
  return doc.slice(start, end === -1 ? undefined : end);
};

let s: Synthesized;
beforeAll(() => {
  s = synth();
});

describe('docs/deploy.md matches the template', () => {
  it('Limits: shards, timeoutSeconds, the executor timeout and every anonymous route throttle', () => {
    const limits = sectionOf('Limits');
    expect(limits).toContain(`| \`shards\` | 1–${MAX_SHARDS} |`);
    expect(limits).toContain(`| a job's \`timeoutSeconds\` | 1–${MAX_TIMEOUT_SECONDS} `);
    expect(limits).toContain(`| executor timeout | ${EXECUTOR_TIMEOUT.toSeconds()} s |`);
    for (const throttle of Object.values(ANONYMOUS_ROUTE_THROTTLE)) {
      expect(limits).toContain(`${throttle.rateLimit}/s, burst ${throttle.burstLimit}`);
    }
  });

  it('Retries and redelivery: the run and notification queues’ visibility, backoff and receive counts', () => {
    const retries = sectionOf('Retries and redelivery');
    const runQueue = s.template.toJSON().Resources[logicalId(s.stack, s.stack.queues.run.normal.queue)]
      .Properties as { VisibilityTimeout: number; RedrivePolicy: { maxReceiveCount: number } };
    const notifications = s.template.toJSON().Resources[
      logicalId(s.stack, s.stack.queues.notifications.queue)
    ].Properties as { RedrivePolicy: { maxReceiveCount: number } };
    expect(retries).toContain(`visibility timeout (${runQueue.VisibilityTimeout} s`);
    expect(retries).toContain(`the ${runQueue.RedrivePolicy.maxReceiveCount}th receive`);
    expect(retries).toContain(`then every ${RUN_REDELIVERY.maxDelaySeconds} s`);
    expect(retries).toContain(`the ${notifications.RedrivePolicy.maxReceiveCount}th try`);
    expect(retries).toContain(`then ${NOTIFICATION_REDELIVERY.maxDelaySeconds / 60} minutes each`);
  });

  it('Alarms: every alarm of the stack is listed, and the count and the cost line agree', () => {
    const alarms = sectionOf('Alarms');
    const ids = s.stack.monitoring.alarms.map((alarm) => alarm.node.id);
    expect(ids.length).toBe(Object.keys(resources(s.template, 'AWS::CloudWatch::Alarm')).length);
    for (const id of ids) expect(alarms, id).toContain(`\`${id}\``);
    const single = ids.length - 1;
    expect(alarms).toContain(
      `That is ${ids.length} alarms: ${single} on one metric and \`FailureRate\` on three.`,
    );
    expect(sectionOf('What it costs')).toContain(`${single} single-metric alarms × $0.10`);
  });

  it('cdk-nag acknowledgements: every acknowledged rule is in the table', () => {
    const table = sectionOf('cdk-nag acknowledgements');
    const rules = new Set(acknowledgementsIn(s.app).map((ack) => ack.id.replace(/\[.*$/, '')));
    for (const rule of rules) expect(table, rule).toContain(rule);
  });
});
