import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '../../local/emulators.js';
import { readOutbox } from '../../local/local-aws-targets.js';
import { CHROMIUM_PATH, hasChromium, launchChromium } from '../support/browser.js';
import { API_KEY, apiClient, e2eRuntime, OTHER_KEY } from '../support/runtime.js';
import { waitFor } from '../support/sink.js';

const ROLE = 'arn:aws:iam::123456789012:role/scheduler-target-local';

/** What each local target received, printed at the end (the closing note shows it). */
const received: Record<string, unknown> = {};

describe('AWS-native targets on the local runtime', () => {
  const e2e = e2eRuntime({
    runtime: (fn) => ({
      localFunctions: new Map([
        ['send-report', `${fn.url}/send-report`],
        ['arn:aws:lambda:us-east-1:123456789012:function:failing', `${fn.url}/failing`],
      ]),
    }),
  });
  let sqs: SQSClient;

  beforeAll(async () => {
    sqs = new SQSClient({ ...LOCAL_AWS, endpoint: e2e.runtime.awsTargets.sqsEndpoint });
  });

  afterAll(async () => {
    process.stdout.write(`local AWS targets received:\n${JSON.stringify(received, null, 2)}\n`);
  });

  async function finished(executionId: string) {
    return waitFor(
      async () => {
        const res = await e2e.api('GET', `/v1/executions/${encodeURIComponent(executionId)}`);
        return ['succeeded', 'failed', 'dead'].includes(res.body?.status) ? res.body : undefined;
      },
      8000,
      `execution ${executionId} to finish`,
    );
  }

  it('sqs: sends the message to the embedded emulator, with the delivery metadata as attributes', async () => {
    // Prepare: a queue made with a plain SQS client, named in its AWS form.
    const { QueueUrl: ordersUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'orders' }));
    const created = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'immediate' },
      target: {
        type: 'sqs',
        queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/orders',
        body: '{"run":"<scheduler.execution-id>","attempt":<scheduler.attempt>}',
        roleArn: ROLE,
      },
    });
    expect(created.status).toBe(201);

    // Act
    const [message] = await waitFor(
      async () => {
        const out = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: ordersUrl,
            MessageAttributeNames: ['All'],
            WaitTimeSeconds: 1,
          }),
        );
        return out.Messages?.length ? out.Messages : undefined;
      },
      8000,
      'the SQS message',
    );

    // Assess
    const executionId = JSON.parse(message!.Body!).run as string;
    expect(executionId.startsWith(`${created.body.id}:`)).toBe(true);
    expect(JSON.parse(message!.Body!)).toEqual({ run: executionId, attempt: 1 });
    expect(message!.MessageAttributes).toEqual({
      'scheduler.execution-id': { DataType: 'String', StringValue: executionId },
      'scheduler.job-id': { DataType: 'String', StringValue: created.body.id },
      'scheduler.scheduled-time': {
        DataType: 'String',
        StringValue: executionId.slice(created.body.id.length + 1),
      },
      'scheduler.attempt': { DataType: 'Number', StringValue: '1' },
    });
    const execution = await finished(executionId);
    expect(execution.attempts[0]).toMatchObject({
      status: 'succeeded',
      response: { messageId: message!.MessageId, roleArn: ROLE },
    });
    received.sqs = {
      body: message!.Body,
      attributes: message!.MessageAttributes,
      attempt: execution.attempts[0],
    };
    await sqs.send(
      new DeleteMessageCommand({
        QueueUrl: ordersUrl,
        ReceiptHandle: message!.ReceiptHandle!,
      }),
    );
  });

  it('sqs: a queue the emulator does not have fails the run for good', async () => {
    const created = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'immediate' },
      target: {
        type: 'sqs',
        queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/nope',
        body: 'x',
        roleArn: ROLE,
      },
    });
    const execution = await waitFor(
      async () => {
        const page = await e2e.api('GET', `/v1/jobs/${created.body.id}/executions`);
        const first = page.body.items[0];
        return first && ['failed', 'dead'].includes(first.status) ? first : undefined;
      },
      8000,
      'the failed run',
    );
    expect(execution.status).toBe('failed');
    expect(execution.attempts).toHaveLength(1);
    expect(execution.attempts[0].error).toMatch(/^permanent: sqs .*QueueDoesNotExist/);
  });

  it('lambda: POSTs the payload to the SCHEDULER_LOCAL_FUNCTIONS URL and keeps a RequestResponse answer', async () => {
    // Prepare
    e2e.sink.respond((call) =>
      call.path === '/failing'
        ? { status: 500, body: '{"errorMessage":"boom"}' }
        : { status: 200, body: '{"sent":true}' },
    );
    const created = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'immediate' },
      target: {
        type: 'lambda',
        functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:send-report:live',
        invocationType: 'RequestResponse',
        payload: '{"job":"<scheduler.job-id>","at":"<scheduler.scheduled-time>"}',
        roleArn: ROLE,
      },
    });
    expect(created.status).toBe(201);

    // Act
    const call = await waitFor(
      () => e2e.sink.calls.find((c) => c.path === '/send-report'),
      8000,
      'the function call',
    );

    // Assess
    expect(call.method).toBe('POST');
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.headers['x-amz-invocation-type']).toBe('RequestResponse');
    const executionId = call.headers['x-scheduler-execution-id'] as string;
    expect(JSON.parse(call.body)).toEqual({
      job: created.body.id,
      at: executionId.slice(created.body.id.length + 1),
    });
    const context = JSON.parse(
      Buffer.from(call.headers['x-amz-client-context'] as string, 'base64').toString(),
    );
    expect(context.custom.scheduler).toMatchObject({ executionId, jobId: created.body.id, attempt: 1 });
    const execution = await finished(executionId);
    expect(execution.status).toBe('succeeded');
    expect(execution.attempts[0].response).toEqual({
      statusCode: '200',
      payload: '{"sent":true}',
      roleArn: ROLE,
    });
    received.lambda = {
      body: call.body,
      headers: { 'x-amz-invocation-type': call.headers['x-amz-invocation-type'] },
      clientContext: context,
      attempt: execution.attempts[0],
    };
  });

  it('lambda: a 5xx from the local function is a function error: failed, not retried', async () => {
    const created = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'immediate' },
      target: {
        type: 'lambda',
        functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:failing',
        invocationType: 'RequestResponse',
        roleArn: ROLE,
      },
      retry: { maxAttempts: 3, initialDelaySeconds: 0 },
    });
    const call = await waitFor(
      () => e2e.sink.calls.find((c) => c.path === '/failing'),
      8000,
      'the failing call',
    );
    const execution = await finished(call.headers['x-scheduler-execution-id'] as string);
    expect(execution.status).toBe('failed');
    expect(execution.attempts).toHaveLength(1);
    expect(execution.attempts[0].error).toBe(
      'permanent: lambda FunctionError Unhandled: {"errorMessage":"boom"}',
    );
    expect(e2e.sink.calls.filter((c) => c.path === '/failing')).toHaveLength(1);
    expect(created.body.id).toBeDefined();
  });

  it.each([
    [
      'eventbridge',
      {
        type: 'eventbridge',
        eventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default',
        source: 'com.example.reports',
        detailType: 'Nightly report',
        detail: '{"run":"<scheduler.execution-id>"}',
      },
      'eventId',
    ],
    [
      'stepfunctions',
      {
        type: 'stepfunctions',
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:close-books',
        input: '{"run":"<scheduler.execution-id>"}',
      },
      'executionArn',
    ],
    [
      'sns',
      {
        type: 'sns',
        topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
        message: 'run <scheduler.execution-id>',
        subject: 'Nightly',
      },
      'messageId',
    ],
  ])(
    '%s: writes a JSON line to the outbox and shows it to its tenant only',
    async (type, target, idField) => {
      // Act
      const created = await e2e.api('POST', '/v1/jobs', {
        schedule: { type: 'immediate' },
        target: { ...target, roleArn: ROLE },
      });
      expect(created.status).toBe(201);
      const file = `${e2e.runtime.awsTargets.outbox}/${type}.jsonl`;
      const entry = await waitFor(
        () => readOutbox(file).find((e) => e.executionId.startsWith(`${created.body.id}:`)),
        8000,
        `the ${type} outbox line`,
      );

      // Assess
      expect(entry).toMatchObject({ tenant: 'team-a', roleArn: ROLE, region: 'us-east-1' });
      expect(JSON.stringify(entry.input)).toContain(entry.executionId);
      const execution = await finished(entry.executionId);
      expect(execution.attempts[0].response[idField]).toBe(entry.response[idField]);
      const shown = await e2e.api('GET', '/local/aws-outbox');
      expect(shown.body.items.some((i: { executionId: string }) => i.executionId === entry.executionId)).toBe(
        true,
      );
      const other = await apiClient(e2e.runtime.url, OTHER_KEY)('GET', '/local/aws-outbox');
      expect(other.body.items).toEqual([]);
      received[type] = entry;
    },
  );

  it('the dashboard shows the outbox lines and what an AWS attempt returned', async (ctx) => {
    if (!hasChromium()) {
      const why = `no Chromium at ${CHROMIUM_PATH}`;
      if (process.env.CI) throw new Error(why);
      ctx.skip(why);
    }
    // Prepare
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();

      // Act
      await page.goto(`${e2e.runtime.url}/?key=${API_KEY}`);

      // Assess
      await page.waitForSelector('body[data-loaded="true"]', { timeout: 20_000 });
      for (const type of ['eventbridge', 'stepfunctions', 'sns']) {
        await expect
          .poll(() => page.locator(`#aws-outbox tr[data-type="${type}"]`).count(), { timeout: 10_000 })
          .toBe(1);
      }
      expect(await page.locator('#aws-outbox tr[data-type="sns"]').textContent()).toContain(
        'Nightly: run job_',
      );
      await expect
        .poll(() => page.locator('#timeline-job').textContent())
        .toMatch(/· (lambda|sqs|sns|eventbridge|stepfunctions) /);
    } finally {
      await browser.close();
    }
  });

  it('refuses a role outside the pattern locally too (checked, never assumed)', async () => {
    const res = await e2e.api('POST', '/v1/jobs', {
      schedule: { type: 'immediate' },
      target: {
        type: 'sns',
        topicArn: 'arn:aws:sns:us-east-1:123456789012:alerts',
        message: 'x',
        roleArn: 'arn:aws:iam::123456789012:role/admin',
      },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('target_not_allowed');
  });
});
