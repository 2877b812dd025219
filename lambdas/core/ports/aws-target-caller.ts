import type { AwsCall } from '../aws-targets.js';
import type { HttpOutcome } from './http-caller.js';

/** A target's answer; AWS targets add what the service returned (message id, execution ARN, …). */
export type TargetOutcome = HttpOutcome & { response?: Record<string, string> };

/** One attempt's call to an AWS target (lambdas/core/aws-targets.ts builds `call`). */
export interface AwsTargetRequest {
  call: AwsCall;
  /** Assumed with ExternalId = `tenant` (in AWS; the local runtime only records it). */
  roleArn: string;
  tenant: string;
  executionId: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Makes AWS target calls: the SDK under an assumed role in AWS, the emulator, local functions and
 * the outbox locally. Never throws: a failure is an `error` outcome, permanent ones marked
 * (isPermanentFailure).
 */
export interface AwsTargetCaller {
  call(request: AwsTargetRequest): Promise<TargetOutcome>;
}
