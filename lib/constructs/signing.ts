import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/composition/config.js';

export interface SigningSecretProps {
  /** @default RemovalPolicy.RETAIN (targets verify with it) */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The HMAC secret behind `X-Scheduler-Signature` on target calls and webhooks. Generated once and
 * kept in Secrets Manager; the functions that sign get only its ARN and read the value at run
 * time (cached for a few minutes, lambdas/adapters/secrets-manager-signing-keys.ts), so the value is never in a
 * template or a function's configuration, and a new value needs no deploy.
 *
 * The secret's value is `secret`, or `new|old` during a rotation (the first signs, all verify),
 * optionally followed by `,tenant=secret…` for tenants with their own.
 */
export class SigningSecret extends Construct {
  readonly secret: secretsmanager.Secret;
  /** Environment of the functions that sign: where to read the secret. */
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
    this.environment = { [ENV.signingSecretArn]: this.secret.secretArn };
  }

  /** Lets a function read the value, and nothing else (no describe, no write). */
  grantRead(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: [this.secret.secretArn],
    });
  }
}
