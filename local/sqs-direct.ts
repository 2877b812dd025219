import type { SendMessageBatchResult } from '@aws-sdk/client-sqs';
import type { SendMessageBatch } from '../lambdas/adapters/sqs-batches.js';

/** One SQS request (JSON protocol) handed to the emulator without a socket: its action and input. */
export interface SqsRequest {
  action: string;
  input: object;
}

/** The emulator's answer to one request: the HTTP status it would have sent, and the JSON body. */
export interface SqsAnswer {
  status: number;
  output: unknown;
}

/** Hands requests to the SQS emulator's own router and gives back its answers, in order. */
export type SqsPost = (requests: SqsRequest[]) => Promise<SqsAnswer[]>;

/** Requests handed over at once, at most: enough to amortise a hand-over, small enough to pipeline two. */
const MAX_PER_POST = 50;

/**
 * SQS requests to fauxqs by its router rather than over HTTP through the SDK, for bulk work (the
 * restart's replay of the queue journal, docs/decisions/local-restart-replay.md): the requests
 * made in one turn of the event loop go to the emulator's thread together, and each settles with
 * its own answer. fauxqs validates and applies them exactly as it does a request on its port.
 */
export class SqsDirect {
  private waiting: { request: SqsRequest; settle: (answer: SqsAnswer | Error) => void }[] = [];
  private flushing = false;
  private readonly observers: ((action: string, input: object, output: unknown) => void)[] = [];

  constructor(private readonly post: SqsPost) {}

  /** `observer` sees each request the emulator accepted, with its answer, before its caller does (the queue journal). */
  observe(observer: (action: string, input: object, output: unknown) => void): void {
    this.observers.push(observer);
  }

  /** One request; rejects with the emulator's error (its `__type` and message) if it refused it. */
  send<Output>(action: string, input: object): Promise<Output> {
    return new Promise((resolve, reject) => {
      this.waiting.push({
        request: { action, input },
        settle: (answer) => {
          if (answer instanceof Error) reject(answer);
          else if (answer.status >= 200 && answer.status < 300) {
            for (const observer of this.observers) observer(action, input, answer.output);
            resolve(answer.output as Output);
          } else reject(new Error(`SQS ${action} refused (${answer.status}): ${describe(answer.output)}`));
        },
      });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** `send` of SendMessageBatch, typed for the adapters' sendBatch. */
  readonly sendMessageBatch: SendMessageBatch = (input) =>
    this.send<SendMessageBatchResult>('SendMessageBatch', input);

  private flush(): void {
    this.flushing = false;
    while (this.waiting.length > 0) {
      const group = this.waiting.splice(0, MAX_PER_POST);
      this.post(group.map((w) => w.request)).then(
        (answers) => {
          for (const [i, w] of group.entries())
            w.settle(answers[i] ?? new Error('the SQS emulator gave no answer'));
        },
        (error: unknown) => {
          for (const w of group) w.settle(error instanceof Error ? error : new Error(String(error)));
        },
      );
    }
  }
}

/** `Code message` of an SQS JSON error body (`__type` is `com.amazonaws.sqs#Code`). */
function describe(output: unknown): string {
  const { __type, message } = (output ?? {}) as { __type?: unknown; message?: unknown };
  const code = typeof __type === 'string' ? __type.split('#').pop() : 'error';
  return `${code} ${typeof message === 'string' ? message : ''}`.trim();
}

/**
 * The requests through `inject` of the fauxqs app (Fastify's request injection: its routing,
 * parsing and handlers, no socket), one after the other. The same steps run in the emulator's
 * worker thread (local/emulator-threads.ts), which cannot load TypeScript.
 */
export async function injectAll(
  app: {
    inject(request: {
      method: 'POST';
      url: string;
      headers: Record<string, string>;
      payload: string;
    }): PromiseLike<{ statusCode: number; json(): unknown }>;
  },
  requests: SqsRequest[],
): Promise<SqsAnswer[]> {
  const answers: SqsAnswer[] = [];
  for (const r of requests) {
    const res = await app.inject({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${r.action}` },
      payload: JSON.stringify(r.input),
    });
    answers.push({ status: res.statusCode, output: res.json() });
  }
  return answers;
}
