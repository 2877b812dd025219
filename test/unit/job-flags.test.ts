import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../cli/args.js';
import { UsageError } from '../../cli/exit-codes.js';
import { createBodyFromFlags, patchFromFlags, patchNeedsCurrent } from '../../cli/job-flags.js';
import type { Job } from '../../client/index.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const ROLE = 'arn:aws:iam::123456789012:role/scheduler-target-x';
const flags = (...argv: string[]) => parseCommandLine(argv).flags;
const noStdin = () => '';

describe('job flags for AWS targets', () => {
  it('--sqs picks the type and --body fills the message body', () => {
    // Act
    const body = createBodyFromFlags(
      flags(
        '--now',
        '--sqs',
        'https://sqs.us-east-1.amazonaws.com/123456789012/q',
        '--role',
        ROLE,
        '--body',
        'hi',
        '--message-group-id',
        'g',
      ),
      NOW,
      noStdin,
    );

    // Assess
    expect(body.target).toEqual({
      type: 'sqs',
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
      body: 'hi',
      messageGroupId: 'g',
      roleArn: ROLE,
    });
  });

  it.each([
    [
      '--lambda',
      'functionArn',
      'payload',
      ['--invocation-type', 'RequestResponse'],
      { invocationType: 'RequestResponse' },
    ],
    [
      '--eventbridge',
      'eventBusArn',
      'detail',
      ['--source', 's', '--detail-type', 'd'],
      { source: 's', detailType: 'd' },
    ],
    ['--stepfunctions', 'stateMachineArn', 'input', [], {}],
    ['--sns', 'topicArn', 'message', ['--subject', 'S'], { subject: 'S' }],
  ])('%s fills %s, and --body goes to %s', (flag, field, payloadField, extra, expected) => {
    const body = createBodyFromFlags(
      flags('--now', flag, 'arn:x', '--role', ROLE, '--body', '{}', ...extra),
      NOW,
      noStdin,
    );
    expect(body.target).toEqual({
      type: flag.slice(2),
      [field]: 'arn:x',
      [payloadField]: '{}',
      roleArn: ROLE,
      ...expected,
    });
  });

  it('refuses two targets at once', () => {
    expect(() => createBodyFromFlags(flags('--now', '--sqs', 'u', '--sns', 'a'), NOW, noStdin)).toThrow(
      new UsageError('give one target: --sqs and --sns cannot go together'),
    );
    expect(() =>
      createBodyFromFlags(flags('--now', '--url', 'https://x', '--sns', 'a'), NOW, noStdin),
    ).toThrow(new UsageError('give one target: --url and --sns cannot go together'));
  });

  it('patch: a new target type replaces the target; other target flags merge into the current one', () => {
    // Prepare
    const current = {
      target: {
        type: 'sqs',
        queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
        body: 'old',
        roleArn: ROLE,
      },
    } as unknown as Job;

    // Act
    const merged = patchFromFlags(flags('--body', 'new'), NOW, noStdin, current);
    const replaced = patchFromFlags(flags('--lambda', 'arn:f', '--role', ROLE), NOW, noStdin, current);

    // Assess
    expect(patchNeedsCurrent(flags('--role', ROLE))).toBe(true);
    expect(merged.target).toEqual({ ...current.target, body: 'new' });
    expect(replaced.target).toEqual({ type: 'lambda', functionArn: 'arn:f', roleArn: ROLE });
  });
});

describe('job flags for EventBridge Scheduler expressions', () => {
  it('--rate takes rate(…) as written, and keeps the short form', () => {
    // Act
    const eventbridge = createBodyFromFlags(
      flags('--rate', 'rate(5 minutes)', '--url', 'https://example.com'),
      NOW,
      noStdin,
    );
    const short = createBodyFromFlags(flags('--rate', '5m', '--url', 'https://example.com'), NOW, noStdin);

    // Assess
    expect(eventbridge.schedule).toEqual({ type: 'rate', expression: 'rate(5 minutes)' });
    expect(short.schedule).toEqual({ type: 'rate', everySeconds: 300 });
  });

  it('--at takes at(…) as written, in the zone --tz names', () => {
    // Act
    const body = createBodyFromFlags(
      flags('--at', 'at(2027-01-01T09:00:00)', '--tz', 'Europe/Berlin', '--url', 'https://example.com'),
      NOW,
      noStdin,
    );

    // Assess
    expect(body.schedule).toEqual({ type: 'once', at: 'at(2027-01-01T09:00:00)', timezone: 'Europe/Berlin' });
  });

  it('still refuses --tz with a plain --at or --rate', () => {
    // Act / Assess
    for (const given of [
      ['--at', '+10s'],
      ['--rate', '5m'],
    ]) {
      expect(() =>
        createBodyFromFlags(flags(...given, '--tz', 'UTC', '--url', 'https://example.com'), NOW, noStdin),
      ).toThrow(UsageError);
    }
  });
});
