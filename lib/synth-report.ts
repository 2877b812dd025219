import { readFileSync } from 'node:fs';
import { App, CfnResource, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { SchedulerSettings } from './constructs/settings.js';
import { SchedulerStack } from './scheduler-stack.js';

/** A cdk-nag acknowledgement (suppression): where, which finding, and why. */
export interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

/** A cdk-nag finding nobody acknowledged. */
export interface NagFinding {
  rule: string;
  severity: string;
  paths: string[];
}

/** Every acknowledgement in the tree, in construct order. */
export function acknowledgementsIn(scope: IConstruct): Acknowledgement[] {
  const found: Acknowledgement[] = [];
  for (const construct of scope.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        found.push({
          path: construct.node.path,
          id: key.replace(/^annotation::/i, ''),
          reason: String(reason),
        });
      }
    }
  }
  return found;
}

/** Runs the AwsSolutions pack over the tree (as `bin/app.ts` does at synth) and returns what it reports. */
export function nagFindings(scope: IConstruct): NagFinding[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.map((violation) => ({
    rule: violation.ruleName,
    severity: violation.severity ?? 'error',
    paths: violation.violatingResources.map((resource) => resource.constructPath ?? ''),
  }));
}

/** Resources of a stack by CloudFormation type, sorted by type. */
export function resourceCounts(stack: SchedulerStack): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const construct of stack.node.findAll()) {
    if (CfnResource.isCfnResource(construct)) {
      counts[construct.cfnResourceType] = (counts[construct.cfnResourceType] ?? 0) + 1;
    }
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** The `context` of cdk.json: settings and feature flags, as `cdk synth` reads them. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/**
 * The stack as `cdk synth` builds it (cdk.json's context under `context`), for tests and reports,
 * minus two slow steps that change nothing in the template: bundling the functions (only asset
 * hashes differ) and the built-in CloudFormation validation (a WASM engine, about 15 s),
 * which `npm run synth` still runs.
 */
export function synthesizeForInspection(
  context: Record<string, unknown> = {},
  settings: Partial<SchedulerSettings> = {},
): { app: App; stack: SchedulerStack } {
  const app = new App({
    stackTraces: false,
    builtinCloudFormationValidation: false,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...context },
  });
  const stack = new SchedulerStack(app, 'Scheduler', { settings });
  return { app, stack };
}
