import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { AssumeRoleCommand, type STSClient } from '@aws-sdk/client-sts';
import {
  type AwsCall,
  type AwsService,
  attemptError,
  classifyAwsError,
  roleSessionName,
  snippet,
} from '../core/aws-targets.js';
import type { AwsTargetCaller, AwsTargetRequest, TargetOutcome } from '../core/ports/aws-target-caller.js';

/** Assumed-role credentials are reused until this long before they expire. */
export const CREDENTIALS_REFRESH_MARGIN_MS = 5 * 60_000;
/** Sessions last an hour: every role allows at least that (its MaxSessionDuration is 1–12 h). */
export const SESSION_SECONDS = 3600;
/** Sessions kept per (tenant, role); the least recently assumed goes past this. */
const MAX_SESSIONS = 1000;
/** Clients kept per (service, region, tenant, role); the oldest goes past this. */
const MAX_CLIENTS = 200;

/** Temporary credentials of an assumed role. */
export interface RoleSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration: Date;
}

/** Thrown when STS refuses: the attempt fails like any other AWS error, named after STS. */
class AssumeRoleFailed extends Error {
  constructor(readonly failure: unknown) {
    super('assume role failed');
  }
}

/**
 * The executor's STS: one AssumeRole per (tenant, role) until shortly before the credentials
 * expire. The tenant is part of the key because it is the ExternalId: credentials one tenant's
 * ExternalId obtained are never used for another tenant's job.
 */
export class RoleCredentials {
  private readonly cache = new Map<string, Promise<RoleSession>>();

  constructor(
    private readonly sts: STSClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** Concurrent calls for the same (tenant, role) share one AssumeRole; a failed one is not cached. */
  async credentialsFor(roleArn: string, tenant: string, executionId: string): Promise<RoleSession> {
    const key = `${tenant}\n${roleArn}`;
    const cached = this.cache.get(key);
    if (cached) {
      const session = await cached.catch(() => null);
      if (session && session.expiration.getTime() - CREDENTIALS_REFRESH_MARGIN_MS > this.now())
        return session;
    }
    const pending = this.assume(roleArn, tenant, executionId);
    this.cache.delete(key);
    this.cache.set(key, pending);
    if (this.cache.size > MAX_SESSIONS) this.cache.delete(this.cache.keys().next().value as string);
    pending.catch(() => {
      if (this.cache.get(key) === pending) this.cache.delete(key);
    });
    return pending;
  }

  private async assume(roleArn: string, tenant: string, executionId: string): Promise<RoleSession> {
    const out = await this.sts.send(
      new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: roleSessionName(executionId),
        ExternalId: tenant,
        DurationSeconds: SESSION_SECONDS,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.Expiration) {
      throw new Error('STS AssumeRole returned no credentials');
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
      expiration: c.Expiration,
    };
  }
}

type Client = LambdaClient | SQSClient | EventBridgeClient | SFNClient | SNSClient;

/**
 * AWS targets on the SDK (docs/targets.md): assume the job's role, make the one call, and turn the
 * answer into the attempt's outcome — what the service returned, or an error classified as
 * retryable or permanent (lambdas/core/aws-targets.ts).
 */
export class SdkAwsTargetCaller implements AwsTargetCaller {
  private readonly clients = new Map<string, Client>();

  constructor(
    private readonly roles: RoleCredentials,
    private readonly defaultRegion: string = process.env.AWS_REGION ?? 'us-east-1',
    private readonly now: () => number = () => performance.now(),
  ) {}

  async call(request: AwsTargetRequest): Promise<TargetOutcome> {
    const started = this.now();
    const timeout = AbortSignal.timeout(request.timeoutMs);
    const abortSignal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
    const elapsed = () => Math.round(this.now() - started);
    const { call } = request;
    try {
      // Assumed first, so a refused role is told apart from the service's own errors.
      try {
        await this.roles.credentialsFor(request.roleArn, request.tenant, request.executionId);
      } catch (error) {
        throw new AssumeRoleFailed(error);
      }
      const client = this.clientFor(call, request);
      const response = await send(client, call, abortSignal);
      return {
        kind: 'response',
        statusCode: response.statusCode,
        body: '',
        durationMs: elapsed(),
        response: response.fields,
      };
    } catch (error) {
      if (error instanceof FunctionError) {
        return {
          kind: 'error',
          error: attemptError('lambda', 'permanent', `FunctionError ${error.functionError}`, error.payload),
          timedOut: false,
          aborted: false,
          durationMs: elapsed(),
          response: {
            statusCode: String(error.statusCode),
            functionError: error.functionError,
            payload: snippet(error.payload),
          },
        };
      }
      const timedOut = timeout.aborted;
      const aborted = !timedOut && (request.signal?.aborted ?? false);
      if (timedOut || aborted) {
        return {
          kind: 'error',
          error: timedOut ? `timed out after ${request.timeoutMs} ms` : 'aborted: execution cancelled',
          timedOut,
          aborted,
          durationMs: elapsed(),
        };
      }
      const sts = error instanceof AssumeRoleFailed;
      const cause = sts ? error.failure : error;
      const described = describe(cause);
      // STS refusing the role (it does not trust us, or not with this ExternalId) is permanent.
      const kind = sts && described.statusCode === 403 ? 'permanent' : classifyAwsError(described);
      const service = sts ? 'sts' : call.service;
      return {
        kind: 'error',
        error: attemptError(service as AwsService, kind, described.name ?? 'Error', described.message),
        timedOut: false,
        aborted: false,
        durationMs: elapsed(),
      };
    }
  }

  /**
   * One client per (service, region, tenant, role), kept for the container's life: its credentials
   * come from the session cache, so a refreshed session never needs a new client (and a call in
   * flight is never cut off by replacing one).
   */
  private clientFor(call: AwsCall, request: AwsTargetRequest): Client {
    const region = call.region || this.defaultRegion;
    const key = `${call.service}\n${region}\n${request.tenant}\n${request.roleArn}`;
    const cached = this.clients.get(key);
    if (cached) return cached;
    const { roleArn, tenant, executionId } = request;
    const config = {
      region,
      credentials: () => this.roles.credentialsFor(roleArn, tenant, executionId),
      // The job's retry policy decides about retries, with its backoff and its record of attempts.
      maxAttempts: 1,
    };
    const client =
      call.service === 'lambda'
        ? new LambdaClient(config)
        : call.service === 'sqs'
          ? new SQSClient({ ...config, useQueueUrlAsEndpoint: false })
          : call.service === 'eventbridge'
            ? new EventBridgeClient(config)
            : call.service === 'stepfunctions'
              ? new SFNClient(config)
              : new SNSClient(config);
    this.clients.set(key, client);
    // Past the bound the oldest is forgotten (not destroyed: a call may still be using it).
    if (this.clients.size > MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value as string);
    return client;
  }
}

/** A RequestResponse function that threw: Lambda answers 200 with `FunctionError` set. */
class FunctionError extends Error {
  constructor(
    readonly functionError: string,
    readonly payload: string,
    readonly statusCode: number,
  ) {
    super(`function error ${functionError}`);
  }
}

/** An EventBridge entry PutEvents refused (the call itself answered 200). */
class EntryFailed extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
  }
}

function described(fields: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

async function send(
  client: Client,
  call: AwsCall,
  abortSignal: AbortSignal,
): Promise<{ statusCode: number; fields: Record<string, string> }> {
  const options = { abortSignal };
  switch (call.service) {
    case 'lambda': {
      const out = await (client as LambdaClient).send(
        new InvokeCommand({ ...call.input, Payload: Buffer.from(call.input.Payload, 'utf8') }),
        options,
      );
      const statusCode = out.StatusCode ?? 200;
      const payload = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
      if (out.FunctionError) throw new FunctionError(out.FunctionError, payload, statusCode);
      return {
        statusCode,
        fields: described({
          statusCode: String(statusCode),
          executedVersion: out.ExecutedVersion,
          ...(call.input.InvocationType === 'RequestResponse' ? { payload: snippet(payload) } : {}),
        }),
      };
    }
    case 'sqs': {
      const out = await (client as SQSClient).send(new SendMessageCommand(call.input), options);
      return {
        statusCode: out.$metadata?.httpStatusCode ?? 200,
        fields: described({ messageId: out.MessageId, sequenceNumber: out.SequenceNumber }),
      };
    }
    case 'eventbridge': {
      const out = await (client as EventBridgeClient).send(new PutEventsCommand(call.input), options);
      const entry = out.Entries?.[0];
      if ((out.FailedEntryCount ?? 0) > 0 || entry?.ErrorCode) {
        throw new EntryFailed(
          entry?.ErrorCode ?? 'FailedEntry',
          entry?.ErrorMessage ?? 'the event was not accepted',
        );
      }
      return {
        statusCode: out.$metadata?.httpStatusCode ?? 200,
        fields: described({ eventId: entry?.EventId }),
      };
    }
    case 'stepfunctions': {
      try {
        const out = await (client as SFNClient).send(new StartExecutionCommand(call.input), options);
        return {
          statusCode: out.$metadata?.httpStatusCode ?? 200,
          fields: described({ executionArn: out.executionArn, startDate: out.startDate?.toISOString() }),
        };
      } catch (error) {
        // The name is the run's: an execution by that name means an earlier delivery started it.
        if ((error as Error).name === 'ExecutionAlreadyExists') {
          return { statusCode: 200, fields: { status: 'already started', name: call.input.name } };
        }
        throw error;
      }
    }
    case 'sns': {
      const out = await (client as SNSClient).send(new PublishCommand(call.input), options);
      return {
        statusCode: out.$metadata?.httpStatusCode ?? 200,
        fields: described({ messageId: out.MessageId, sequenceNumber: out.SequenceNumber }),
      };
    }
  }
}

/** The parts of an SDK (or network) error the classification reads. */
function describe(error: unknown): { name?: string; message: string; statusCode?: number; code?: string } {
  if (error instanceof EntryFailed) {
    // An entry-level error carries no HTTP status: its name decides (throttling and internal failures retry).
    return { name: error.errorCode, message: error.message, statusCode: 400 };
  }
  if (!(error instanceof Error)) return { message: String(error) };
  const e = error as Error & { $metadata?: { httpStatusCode?: number }; code?: string };
  return {
    name: e.name,
    message: e.message,
    ...(e.$metadata?.httpStatusCode !== undefined ? { statusCode: e.$metadata.httpStatusCode } : {}),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
  };
}
