import { beforeAll, describe, expect, it } from 'vitest';
import { CODE_ACCESS, type FunctionRole } from '../../lib/constructs/access.js';
import { HANDLER_SCENARIOS, type ScenarioState } from '../support/handler-scenarios.js';
import { startLambdaHarness } from '../support/lambda-harness.js';
import { cfn, logicalId, resources, type Synthesized, synth } from './support.js';

/**
 * Issue 15, item 14: each function's role grants the DynamoDB, SQS and S3 actions its code sends,
 * on the tables, indexes, queues and objects it sends them to, and nothing more. The commands are
 * recorded by running the handler scenarios (test/support/handler-scenarios.ts) against the
 * emulators; the grants are read from the synthesized template. To change what a function may do,
 * change its line in lib/constructs/access.ts (CODE_ACCESS) and walk the new path in a scenario.
 */

/** Grants a function needs that no line of its code uses: Lambda itself acts with its role. */
const SERVICE_ACCESS: Readonly<Record<FunctionRole, readonly string[]>> = {
  api: [],
  // The SQS event sources poll, delete and hand back the run messages.
  executor: [
    'runQueues sqs:ReceiveMessage',
    'runQueues sqs:ChangeMessageVisibility',
    'runQueues sqs:GetQueueUrl',
    'runQueues sqs:DeleteMessage',
    'runQueues sqs:GetQueueAttributes',
  ],
  notifier: [
    'notifications sqs:ReceiveMessage',
    'notifications sqs:ChangeMessageVisibility',
    'notifications sqs:GetQueueUrl',
    'notifications sqs:DeleteMessage',
    'notifications sqs:GetQueueAttributes',
  ],
  // The stream event source reads the Executions stream; its on-failure destination is a queue.
  archiver: [
    'executions/stream dynamodb:DescribeStream',
    'executions/stream dynamodb:GetRecords',
    'executions/stream dynamodb:GetShardIterator',
    '* dynamodb:ListStreams',
    'archiverFailures sqs:SendMessage',
    'archiverFailures sqs:GetQueueAttributes',
    'archiverFailures sqs:GetQueueUrl',
  ],
  compactor: [],
  // The async invoke config's on-failure destination.
  watcher: [
    'watcherDeadLetters sqs:SendMessage',
    'watcherDeadLetters sqs:GetQueueAttributes',
    'watcherDeadLetters sqs:GetQueueUrl',
  ],
};

const DATA_SERVICES = /^(dynamodb|sqs|s3):/;

let s: Synthesized;
let recorded: Map<FunctionRole, Set<string>>;

beforeAll(async () => {
  s = synth();
  const harness = await startLambdaHarness();
  const state: ScenarioState = {};
  try {
    for (const scenario of HANDLER_SCENARIOS) await scenario.run(harness, state);
  } finally {
    recorded = harness.commands;
    await harness.stop();
  }
}, 180_000);

/** Names the template's resources the way the recorded commands name them. */
function resourceNames(): Map<string, string> {
  const { stack } = s;
  const named: [{ node: { defaultChild?: unknown } }, string][] = [
    [stack.storage.jobsTable, 'jobs'],
    [stack.storage.executionsTable, 'executions'],
    ...stack.queues.runQueues.map((queue): [typeof queue, string] => [queue, 'runQueues']),
    [stack.queues.notifications.queue, 'notifications'],
    [stack.watchers.deadLetterQueue, 'watcherDeadLetters'],
    [stack.archiver.failures, 'archiverFailures'],
    [stack.archive.bucket, 'archive'],
    [stack.signing.secret, 'signing-secret'],
  ];
  return new Map(named.map(([construct, name]) => [logicalId(stack, construct), name]));
}

function describeResource(resource: unknown, names: Map<string, string>): string {
  if (typeof resource === 'string') return resource;
  const value = resource as Record<string, unknown>;
  if ('Ref' in value) return names.get(String(value.Ref)) ?? String(value.Ref);
  if ('Fn::GetAtt' in value) {
    const [id, attribute] = value['Fn::GetAtt'] as [string, string];
    const name = names.get(id) ?? id;
    return attribute === 'StreamArn' ? `${name}/stream` : name;
  }
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => describeResource(part, names)).join(separator);
  }
  return JSON.stringify(value);
}

/** `"<resource> <action>"` for every DynamoDB, SQS and S3 action the role's policies allow. */
function granted(role: FunctionRole): Set<string> {
  const fn = {
    api: s.stack.api.handler,
    watcher: s.stack.watchers.handler,
    executor: s.stack.executors.handler,
    archiver: s.stack.archiver.handler,
    compactor: s.stack.compactor.handler,
    notifier: s.stack.notifier.handler,
  }[role];
  const roleRef = JSON.stringify(cfn(s.stack, fn.role?.roleName));
  const names = resourceNames();
  const lines = new Set<string>();
  for (const policy of Object.values(resources(s.template, 'AWS::IAM::Policy'))) {
    if (!(policy.Properties.Roles as unknown[]).some((r) => JSON.stringify(r) === roleRef)) continue;
    const { Statement } = policy.Properties.PolicyDocument as {
      Statement: { Effect: string; Action: string | string[]; Resource: unknown }[];
    };
    for (const statement of Statement) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of [statement.Action].flat().filter((a) => DATA_SERVICES.test(a))) {
        for (const resource of [statement.Resource].flat()) {
          lines.add(`${describeResource(resource, names)} ${action}`);
        }
      }
    }
  }
  return lines;
}

/** What the role's code sent: the three run queues are granted as one, so recorded as one. */
function sent(role: FunctionRole): Set<string> {
  return new Set(
    [...(recorded.get(role) ?? [])]
      .filter((line) => DATA_SERVICES.test(line.split(' ')[1] ?? ''))
      .map((line) => line.replace(/^runQueue:\w+ /, 'runQueues ')),
  );
}

const ROLES: FunctionRole[] = ['api', 'watcher', 'executor', 'archiver', 'compactor', 'notifier'];

/**
 * Whether a granted line covers a sent one: the same action on the same resource, or on a key
 * under a granted `prefix*` (archive objects are granted by prefix, sent by key).
 */
function covers(grant: string, sentLine: string): boolean {
  const [grantResource = '', grantAction] = grant.split(' ');
  const [sentResource = '', sentAction] = sentLine.split(' ');
  if (grantAction !== sentAction) return false;
  return grantResource.endsWith('*')
    ? sentResource.startsWith(grantResource.slice(0, -1))
    : grantResource === sentResource;
}

describe('least privilege: grants equal the commands each function sends', () => {
  it.each(ROLES)('%s: every command it sends is granted (a call without a grant fails here)', (role) => {
    const allowed = [...granted(role)];
    const missing = [...sent(role)].filter((line) => !allowed.some((grant) => covers(grant, line)));
    expect(missing, `${role} sends these without a grant`).toEqual([]);
  });

  it.each(ROLES)(
    '%s: every grant is used by its code or by Lambda for it (a grant without a call fails here)',
    (role) => {
      const used = [...sent(role), ...SERVICE_ACCESS[role]];
      const unused = [...granted(role)].filter((grant) => !used.some((line) => covers(grant, line)));
      expect(unused, `${role} is granted these and never sends them`).toEqual([]);
      const missingService = SERVICE_ACCESS[role].filter((line) => !granted(role).has(line));
      expect(missingService, `${role}: listed as used by Lambda but not granted`).toEqual([]);
    },
  );

  it.each(ROLES)('%s: its S3 line of CODE_ACCESS names exactly the S3 actions it sends', (role) => {
    const actions = new Set(
      [...sent(role)].filter((line) => line.includes(' s3:')).map((line) => line.split(' s3:')[1]),
    );
    expect([...actions].sort()).toEqual([...(CODE_ACCESS[role].archive ?? [])].sort());
  });

  it('no function may scan a table or write in batches (the AWS code path never does)', () => {
    for (const role of ROLES) {
      for (const line of granted(role)) expect(line).not.toMatch(/dynamodb:(Scan|BatchWriteItem|\*)/);
    }
  });
});
