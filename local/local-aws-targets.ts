import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { GuardedHttpCaller } from '../lambdas/adapters/guarded-http-caller.js';
import { parseArn } from '../lambdas/core/aws-arns.js';
import {
  type AwsCall,
  attemptError,
  classifyAwsError,
  PERMANENT_PREFIX,
} from '../lambdas/core/aws-targets.js';
import type {
  AwsTargetCaller,
  AwsTargetRequest,
  TargetOutcome,
} from '../lambdas/core/ports/aws-target-caller.js';
import type { HttpCaller } from '../lambdas/core/ports/http-caller.js';
import {
  formatIp,
  normalizeHost,
  parseAllowlist,
  parseIp,
  type TargetAllowlist,
} from '../lambdas/core/ssrf.js';

/** Target types the local runtime writes to `<data dir>/aws-outbox/<type>.jsonl` instead of calling. */
export const OUTBOX_TYPES = ['eventbridge', 'stepfunctions', 'sns'] as const;
export type OutboxType = (typeof OUTBOX_TYPES)[number];

/** One line of the local AWS outbox: what the target would have received. */
export interface OutboxEntry {
  at: string;
  tenant: string;
  executionId: string;
  /** Checked for shape at create, recorded here, never assumed locally. */
  roleArn: string;
  region: string;
  input: unknown;
  response: Record<string, string>;
}

const LOOPBACK_HOSTS = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/**
 * `SCHEDULER_LOCAL_FUNCTIONS`: `name=url` pairs, comma-separated. The name is a function's name
 * (any qualifier matches it), a `name:qualifier`, or a full function ARN; the URL must be loopback.
 */
export function parseLocalFunctions(value: string | undefined): Map<string, string> {
  const functions = new Map<string, string>();
  for (const pair of (value ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.lastIndexOf('=');
    const name = pair.slice(0, at).trim();
    const url = pair.slice(at + 1).trim();
    if (at <= 0 || !URL.canParse(url)) {
      throw new Error(`SCHEDULER_LOCAL_FUNCTIONS entry "${pair}" is not name=url`);
    }
    const parsed = new URL(url);
    if (!/^https?:$/.test(parsed.protocol) || !LOOPBACK_HOSTS.test(parsed.hostname)) {
      throw new Error(
        `SCHEDULER_LOCAL_FUNCTIONS entry "${pair}": the URL must be http(s) on a loopback address`,
      );
    }
    functions.set(name, url);
  }
  return functions;
}

/** The URL a function ARN resolves to: the full ARN, the unqualified ARN, `name:qualifier`, then the name. */
/** The hosts of the local functions' URLs, as an allowlist: a name as itself, an address as its own /32 or /128. */
export function functionHostsAllowlist(functions: Map<string, string>): TargetAllowlist {
  const entries = [...functions.values()].map((url) => {
    const host = normalizeHost(new URL(url).hostname);
    const ip = parseIp(host);
    return ip === null ? host : `${formatIp(ip)}/${ip.family === 4 ? 32 : 128}`;
  });
  return parseAllowlist(entries);
}

export function localFunctionUrl(functions: Map<string, string>, functionArn: string): string | undefined {
  const arn = parseArn(functionArn);
  const [, name = functionArn, qualifier] = arn ? arn.resource.split(':') : [];
  const unqualified = arn
    ? `arn:${arn.partition}:lambda:${arn.region}:${arn.account}:function:${name}`
    : undefined;
  const keys = [functionArn, unqualified, qualifier ? `${name}:${qualifier}` : undefined, name];
  for (const key of keys) {
    const url = key === undefined ? undefined : functions.get(key);
    if (url) return url;
  }
  return undefined;
}

/**
 * AWS targets on one machine (README, "Local AWS targets"): `sqs` to the embedded SQS emulator
 * (the queue is found by the name in its URL), `lambda` to the loopback URLs of
 * SCHEDULER_LOCAL_FUNCTIONS, `eventbridge`/`stepfunctions`/`sns` as JSON lines in the outbox.
 * The role is recorded on the attempt, never assumed.
 */
export class LocalAwsTargetCaller implements AwsTargetCaller {
  private readonly startedExecutions = new Set<string>();
  private loadedExecutions = false;
  private readonly http: HttpCaller;

  constructor(
    private readonly options: {
      sqs: SQSClient;
      functions: Map<string, string>;
      outboxDir: string;
      http?: HttpCaller;
      now?: () => number;
    },
  ) {
    // The guarded caller, open to exactly the hosts the operator named for local functions.
    this.http =
      options.http ?? new GuardedHttpCaller({ allowlist: functionHostsAllowlist(options.functions) });
  }

  async call(request: AwsTargetRequest): Promise<TargetOutcome> {
    const { call } = request;
    const started = performance.now();
    const recorded = { roleArn: request.roleArn };
    const done = (response: Record<string, string>): TargetOutcome => ({
      kind: 'response',
      statusCode: call.service === 'lambda' && call.input.InvocationType === 'Event' ? 202 : 200,
      body: '',
      durationMs: Math.round(performance.now() - started),
      response: { ...response, ...recorded },
    });
    try {
      switch (call.service) {
        case 'sqs':
          return done(await this.sendToEmulator(call.input));
        case 'lambda':
          return await this.invokeLocalFunction(call, request, started);
        default:
          return done(this.writeOutbox(call, request));
      }
    } catch (error) {
      const e = error as Error & { $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      const kind = classifyAwsError({
        name: e.name,
        ...(status !== undefined ? { statusCode: status } : {}),
      });
      return {
        kind: 'error',
        error: attemptError(call.service, kind, e.name ?? 'Error', e.message),
        timedOut: false,
        aborted: false,
        durationMs: Math.round(performance.now() - started),
      };
    }
  }

  private async sendToEmulator(input: Extract<AwsCall, { service: 'sqs' }>['input']) {
    const name = input.QueueUrl.split('/').pop() ?? '';
    const { QueueUrl } = await this.options.sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const out = await this.options.sqs.send(new SendMessageCommand({ ...input, QueueUrl }));
    return {
      ...(out.MessageId ? { messageId: out.MessageId } : {}),
      ...(out.SequenceNumber ? { sequenceNumber: out.SequenceNumber } : {}),
    };
  }

  private async invokeLocalFunction(
    call: Extract<AwsCall, { service: 'lambda' }>,
    request: AwsTargetRequest,
    started: number,
  ): Promise<TargetOutcome> {
    const { FunctionName, InvocationType, Payload, ClientContext } = call.input;
    const url = localFunctionUrl(this.options.functions, FunctionName);
    const durationMs = () => Math.round(performance.now() - started);
    if (!url) {
      return {
        kind: 'error',
        error: `${PERMANENT_PREFIX}lambda ResourceNotFoundException: no local function for ${FunctionName} (set SCHEDULER_LOCAL_FUNCTIONS=name=url)`,
        timedOut: false,
        aborted: false,
        durationMs: durationMs(),
      };
    }
    const metadata = JSON.parse(Buffer.from(ClientContext, 'base64').toString('utf8')) as {
      custom: { scheduler: Record<string, string | number> };
    };
    const answer = await this.http.call({
      url,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-amz-invocation-type': InvocationType,
        'x-amz-client-context': ClientContext,
        'x-scheduler-execution-id': String(metadata.custom.scheduler.executionId),
        'x-scheduler-role-arn': request.roleArn,
      },
      body: Payload,
      timeoutMs: request.timeoutMs,
      ...(request.signal ? { signal: request.signal } : {}),
    });
    if (answer.kind === 'error') {
      // A function that cannot be reached is like a Lambda service error: retried.
      return {
        ...answer,
        error: answer.error.replace(/^network error/, 'lambda local function unreachable'),
      };
    }
    const payload = answer.body;
    const fields = {
      statusCode: String(InvocationType === 'Event' ? 202 : 200),
      ...(InvocationType === 'RequestResponse' ? { payload } : {}),
      roleArn: request.roleArn,
    };
    if (answer.statusCode >= 200 && answer.statusCode < 300) {
      return {
        kind: 'response',
        statusCode: Number(fields.statusCode),
        body: '',
        durationMs: answer.durationMs,
        response: fields,
      };
    }
    const functionError = answer.statusCode >= 500;
    return {
      kind: 'error',
      error: attemptError(
        'lambda',
        'permanent',
        functionError ? 'FunctionError Unhandled' : `HTTP ${answer.statusCode}`,
        payload || `the local function answered ${answer.statusCode}`,
      ),
      timedOut: false,
      aborted: false,
      durationMs: answer.durationMs,
      response: { ...fields, ...(functionError ? { functionError: 'Unhandled', payload } : {}) },
    };
  }

  private writeOutbox(call: Exclude<AwsCall, { service: 'sqs' | 'lambda' }>, request: AwsTargetRequest) {
    mkdirSync(this.options.outboxDir, { recursive: true });
    const file = join(this.options.outboxDir, `${call.service}.jsonl`);
    let response: Record<string, string>;
    if (call.service === 'stepfunctions') {
      const sm = parseArn(call.input.stateMachineArn);
      const smName = sm?.resource.split(':')[1] ?? 'state-machine';
      const executionArn = `arn:${sm?.partition}:states:${sm?.region}:${sm?.account}:execution:${smName}:${call.input.name}`;
      // The name is the run's: a second start of the same name is the earlier one (as StartExecution answers).
      if (this.executionStarted(file, executionArn)) return { status: 'already started', executionArn };
      response = { executionArn };
    } else if (call.service === 'eventbridge') {
      response = { eventId: randomUUID() };
    } else {
      response = { messageId: randomUUID() };
    }
    const entry: OutboxEntry = {
      at: new Date(this.options.now?.() ?? Date.now()).toISOString(),
      tenant: request.tenant,
      executionId: request.executionId,
      roleArn: request.roleArn,
      region: call.region,
      input: call.input,
      response,
    };
    appendFileSync(file, `${JSON.stringify(entry)}\n`);
    return response;
  }

  private executionStarted(file: string, executionArn: string): boolean {
    if (!this.loadedExecutions) {
      this.loadedExecutions = true;
      for (const entry of readOutbox(file)) {
        if (entry.response.executionArn) this.startedExecutions.add(entry.response.executionArn);
      }
    }
    if (this.startedExecutions.has(executionArn)) return true;
    this.startedExecutions.add(executionArn);
    return false;
  }
}

/** The lines of one outbox file (a missing file is empty; a torn last line is skipped). */
export function readOutbox(file: string): OutboxEntry[] {
  if (!existsSync(file)) return [];
  const entries: OutboxEntry[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      entries.push(JSON.parse(line) as OutboxEntry);
    } catch {
      // a line cut short by a crash
    }
  }
  return entries;
}
