import { createHash } from 'node:crypto';
import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * A console name a person recognises: `<stackName>-<suffix>`, shortened to what the service
 * allows. A stack name may be 128 characters while Lambda function and schedule group names stop
 * at 64, so a long stack name keeps its start and gains a short hash of the whole, which keeps
 * two long names that share a start apart.
 */
export function stackScopedName(scope: IConstruct, suffix: string, maxLength: number): string {
  const stackName = Stack.of(scope).stackName;
  const full = `${stackName}-${suffix}`;
  if (full.length <= maxLength) return full;
  const hash = createHash('sha256').update(stackName).digest('hex').slice(0, 8);
  const keep = maxLength - suffix.length - hash.length - 2;
  if (keep < 1)
    throw new Error(`no room for a stack name in a ${maxLength}-character name ending -${suffix}`);
  return `${stackName.slice(0, keep)}-${hash}-${suffix}`;
}

/** Lambda function names and EventBridge Scheduler schedule group names: at most 64 characters. */
export const NAME_LIMIT_64 = 64;
