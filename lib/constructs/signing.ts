import { type RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/shared/config.js';

export interface SigningSecretProps {
  /**
   * Secrets Manager version id to read. Dynamic references resolve only when CloudFormation
   * updates the function, so a new id is what makes a deploy pick up a changed value.
   * @default - the AWSCURRENT version at the time the function was last updated
   */
  readonly versionId?: string;
  /** @default RemovalPolicy.RETAIN (targets verify with it) */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The HMAC secret behind `X-Scheduler-Signature` on target calls and webhooks. Generated once,
 * kept in Secrets Manager, and handed to the executor and notifier as `SCHEDULER_SIGNING_SECRETS`
 * through a CloudFormation dynamic reference, so its value never appears in the template.
 *
 * The secret's value is the part after `*=`: `secret`, or `new|old` during a rotation (the first
 * signs, all verify), optionally followed by `,tenant=secret…` for tenants with their own.
 */
export class SigningSecret extends Construct {
  readonly secret: secretsmanager.Secret;
  /** Environment of the functions that sign: `SCHEDULER_SIGNING_SECRETS=*=<value>`. */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: SigningSecretProps = {}) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description:
        'Scheduler signing secret (X-Scheduler-Signature); value: secret[|previous][,tenant=secret]',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      ...(props.removalPolicy !== undefined ? { removalPolicy: props.removalPolicy } : {}),
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Receivers verify signatures with this secret, so it rotates by hand with an overlap ' +
        '(new|old, both verify) after they have the new one; an automatic rotation would break them.',
    });
    const value = SecretValue.secretsManager(this.secret.secretArn, {
      ...(props.versionId ? { versionId: props.versionId } : {}),
    });
    this.environment = { [ENV.signingSecrets]: `*=${value.unsafeUnwrap()}` };
  }
}
