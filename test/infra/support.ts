import { Template } from 'aws-cdk-lib/assertions';
import type { SchedulerStack } from '../../lib/scheduler-stack.js';
import { synthesizeForInspection } from '../../lib/synth-report.js';

/** A stack synthesized without bundling (fast), with its template. */
export interface Synthesized {
  app: ReturnType<typeof synthesizeForInspection>['app'];
  stack: SchedulerStack;
  template: Template;
}

export function synth(context: Record<string, unknown> = {}): Synthesized {
  const { app, stack } = synthesizeForInspection(context);
  return { app, stack, template: Template.fromStack(stack) };
}

export interface CfnResourceJson {
  Type: string;
  Properties: Record<string, unknown> & { [key: string]: unknown };
  [key: string]: unknown;
}

/** Resources of one type, by logical id. */
export function resources(template: Template, type: string): Record<string, CfnResourceJson> {
  return template.findResources(type) as Record<string, CfnResourceJson>;
}

/** The single resource of a type that matches `props`. */
export function only(template: Template, type: string, props: Record<string, unknown> = {}): CfnResourceJson {
  const found = Object.values(template.findResources(type, props ? { Properties: props } : undefined));
  if (found.length !== 1) throw new Error(`expected one ${type} matching, found ${found.length}`);
  return found[0] as CfnResourceJson;
}

/** The CloudFormation value a token resolves to (e.g. `{ Ref: ... }`), to compare with template values. */
export function cfn(stack: SchedulerStack, value: unknown): unknown {
  return stack.resolve(value);
}

/** Logical id of a construct's default CloudFormation resource. */
export function logicalId(stack: SchedulerStack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as Parameters<SchedulerStack['getLogicalId']>[0]);
}

/**
 * An EventBridge/Lambda event filter pattern of equality rules (`{"a": ["x"], "b": {"c": ["y"]}}`)
 * applied to an event, to state what a filter keeps rather than how it is spelled.
 */
export function patternMatches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) return pattern.includes(event);
  if (typeof pattern !== 'object' || pattern === null) return false;
  if (typeof event !== 'object' || event === null) return false;
  return Object.entries(pattern).every(([key, rule]) =>
    patternMatches(rule, (event as Record<string, unknown>)[key]),
  );
}
