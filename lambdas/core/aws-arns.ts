import type { ErrorDetail } from './errors.js';

/**
 * ARN rules for AWS-native targets (docs/targets.md, "Permissions"). The executor may assume only
 * roles that match the deployment's pattern (CDK context `targetRolePattern`, enforced by IAM on
 * the executor too); the API refuses anything else at create and PATCH, so a job that could never
 * run is never stored.
 */

/** The default pattern: roles a team names `scheduler-target-…` in any account of the `aws` partition. */
export const DEFAULT_TARGET_ROLE_PATTERN = 'arn:aws:iam::*:role/scheduler-target-*';

export interface Arn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

/** `arn:partition:service:region:account:resource` (the resource may hold further colons). */
export function parseArn(text: string): Arn | null {
  const parts = text.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return null;
  const [, partition, service, region, account] = parts as [string, string, string, string, string];
  const resource = parts.slice(5).join(':');
  if (!/^aws(-[a-z]+)*$/.test(partition) || !service || !resource) return null;
  return { partition, service, region, account, resource };
}

/**
 * IAM's ARN matching (`ArnLike`): `*` is any run of characters, `?` any one character; the rest
 * compares case-sensitively.
 */
export function arnMatches(pattern: string, arn: string): boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`).test(arn);
}

export interface TargetRolePolicy {
  /** IAM-style pattern of the roles the executor may assume. */
  pattern: string;
}

/** The partition the deployment runs in: its role pattern's (the pattern must name one). */
export function partitionOf(policy: TargetRolePolicy): string {
  return parseArn(policy.pattern)?.partition ?? 'aws';
}

/** Startup check of a configured pattern: a bad one would refuse every AWS target. */
export function assertRolePattern(pattern: string): void {
  const arn = parseArn(pattern);
  if (arn?.service !== 'iam' || !arn.resource.startsWith('role/') || arn.partition.includes('*')) {
    throw new Error(
      `target role pattern "${pattern}" must look like arn:<partition>:iam::<account|*>:role/<name pattern>`,
    );
  }
}

/** Why a role ARN may not be assumed, or null when it may. */
export function roleArnProblem(roleArn: string, policy: TargetRolePolicy): string | null {
  const arn = parseArn(roleArn);
  if (arn?.service !== 'iam' || !/^\d{12}$/.test(arn.account) || !arn.resource.startsWith('role/')) {
    return 'must be an IAM role ARN (arn:aws:iam::123456789012:role/name)';
  }
  const partition = partitionOf(policy);
  if (arn.partition !== partition) {
    return `is in partition "${arn.partition}"; this deployment runs in "${partition}"`;
  }
  if (!arnMatches(policy.pattern, roleArn)) {
    return `does not match the roles this deployment may assume (${policy.pattern})`;
  }
  return null;
}

/** The target's own resource ARN (or queue URL) field, for the partition check. */
function resourceOf(target: AwsTargetFields): [string, string] | null {
  if ('functionArn' in target) return ['functionArn', target.functionArn];
  if ('eventBusArn' in target) return ['eventBusArn', target.eventBusArn];
  if ('stateMachineArn' in target) return ['stateMachineArn', target.stateMachineArn];
  if ('topicArn' in target) return ['topicArn', target.topicArn];
  return null;
}

type AwsTargetFields = { roleArn: string } & (
  | { functionArn: string }
  | { eventBusArn: string }
  | { stateMachineArn: string }
  | { topicArn: string }
  | { queueUrl: string }
);

/** The host of a real SQS queue URL in a partition: `sqs.<region>.amazonaws.com` (`.com.cn` in China). */
const SQS_HOST: Record<string, RegExp> = {
  aws: /^sqs\.[a-z0-9-]+\.amazonaws\.com$/,
  'aws-us-gov': /^sqs\.[a-z0-9-]+\.amazonaws\.com$/,
  'aws-cn': /^sqs\.[a-z0-9-]+\.amazonaws\.com\.cn$/,
};

/** The region of an SQS queue URL (`https://sqs.<region>.amazonaws.com/…`), if it names one. */
export function queueUrlRegion(queueUrl: string): string | undefined {
  return /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\//.exec(queueUrl)?.[1];
}

/**
 * Checks an AWS target against the deployment: the role (shape, partition, pattern) and the
 * target resource's partition. `local`: the local runtime, whose SQS targets go to its emulator
 * (any queue URL), and whose roles are checked but never assumed.
 */
export function awsTargetProblems(
  target: AwsTargetFields,
  policy: TargetRolePolicy,
  options: { local?: boolean } = {},
): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const roleProblem = roleArnProblem(target.roleArn, policy);
  if (roleProblem) details.push({ path: 'target.roleArn', message: roleProblem });
  const partition = partitionOf(policy);
  const resource = resourceOf(target);
  if (resource) {
    const arn = parseArn(resource[1]);
    if (arn && arn.partition !== partition) {
      details.push({
        path: `target.${resource[0]}`,
        message: `is in partition "${arn.partition}"; this deployment runs in "${partition}"`,
      });
    }
  } else if ('queueUrl' in target && !options.local) {
    const host = URL.canParse(target.queueUrl) ? new URL(target.queueUrl).host : '';
    const expected = SQS_HOST[partition] ?? SQS_HOST.aws!;
    if (!target.queueUrl.startsWith('https://') || !expected.test(host)) {
      details.push({
        path: 'target.queueUrl',
        message: `must be an SQS queue URL of partition "${partition}" (https://sqs.<region>.amazonaws.com/<account>/<queue>)`,
      });
    }
  }
  return details;
}
