import { CfnResource, Stack } from 'aws-cdk-lib';

/** CloudFormation's limit on the resources of one stack (deploying more fails with TooManyResourcesInStack). */
export const CLOUDFORMATION_RESOURCE_LIMIT = 500;

/** The CloudFormation resources a stack's template will hold. */
export function resourceCount(stack: Stack): number {
  return stack.node
    .findAll()
    .filter((construct) => CfnResource.isCfnResource(construct) && Stack.of(construct) === stack).length;
}

/**
 * Fails the synth, not the deploy, when the template would exceed what CloudFormation accepts:
 * the settings' ranges are meant to keep it well below, and this says so if they ever do not.
 */
export function enforceResourceLimit(stack: Stack, limit = CLOUDFORMATION_RESOURCE_LIMIT): void {
  stack.node.addValidation({
    validate: () => {
      const count = resourceCount(stack);
      return count > limit
        ? [
            `this stack would hold ${count} CloudFormation resources, more than the ${limit} a stack may hold; ` +
              'lower `shards` (one schedule each) or other counts before deploying',
          ]
        : [];
    },
  });
}
