import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { interceptLocalhostDns } from 'fauxqs';
import type { WatchReport } from '../../lambdas/services/watcher/watcher-service.js';
import type { FunctionRole } from '../../lib/constructs/access.js';
import {
  createNotificationQueue,
  createRunQueues,
  dynamoClient,
  type Emulator,
  LOCAL_AWS,
  PRIORITIES,
  sqsClient,
  startDynamo,
  startSqs,
} from '../../local/emulators.js';
import { sqsRecordOf } from '../../local/sqs-event-source.js';
import { ensureTables } from '../../local/tables.js';
import type { Priority } from '../../schemas/job.js';
import { apiGatewayEvent, lambdaContext } from './lambda-events.js';
import { tempDataDir } from './runtime.js';
import { type FakeBucket, fakeBucket } from './s3-bucket-mock.js';
import { type Sink, startSink } from './sink.js';

/** The signing secret's value as Secrets Manager holds it (tests change it to rotate). */
export const SIGNING_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signing-AbCdEf';
export const IAM_CALLER = 'arn:aws:iam::123456789012:user/ci';

const context = lambdaContext();

/** An SDK command as a client's `send` receives it. */
export interface SentCommand {
  constructor: { name: string };
  input: Record<string, unknown>;
}

type Handler<E, R> = (event: E, context: Context) => Promise<R>;

export interface ApiAnswer {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
  body: any;
}

/**
 * The five Lambda handlers as deployed, run in this process against dynalite and fauxqs (S3 is an
 * in-memory bucket, Secrets Manager a stub), through the AWS SDK clients they build themselves.
 * aws-sdk-client-mock wraps every client's `send` and passes the calls through to the emulators,
 * so each handler invocation records the commands its code sent, by function
 * (`commands`, read by test/infra/least-privilege.test.ts).
 */
export interface LambdaHarness {
  sink: Sink;
  bucket: FakeBucket;
  secret: { value: string };
  /** `"<resource> <service>:<Action>"` per function, every command sent since the harness started. */
  commands: Map<FunctionRole, Set<string>>;
  /** The commands of the last handler invocation, in order, with their inputs. */
  lastCalls: { line: string; input: Record<string, unknown> }[];
  /** The next DynamoDB command that `matches` fails as if the table were unavailable. */
  failNextStoreCall(matches: (command: SentCommand) => boolean): void;
  /** Puts a raw body on a run queue, as a broken producer would. */
  sendRaw(priority: Priority, body: string): Promise<void>;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer>;
  /** Messages waiting in the run queues (or one of them), received as the event source would. */
  receiveRuns(priority?: Priority, waitSeconds?: number): Promise<SQSRecord[]>;
  execute(records: SQSRecord[]): Promise<SQSBatchResponse>;
  watch(shard: number): Promise<WatchReport>;
  receiveNotifications(): Promise<SQSRecord[]>;
  notify(records: SQSRecord[]): Promise<SQSBatchResponse>;
  archive(event: unknown): Promise<SQSBatchResponse>;
  compact(): Promise<{ compacted: string[]; pending: string[] }>;
  stop(): Promise<void>;
}

export async function startLambdaHarness(): Promise<LambdaHarness> {
  const data = tempDataDir();
  const dynamo: Emulator = await startDynamo(data.dir);
  const sqsEmulator: Emulator = await startSqs();
  const sink = await startSink();
  await ensureTables(dynamoClient(dynamo.endpoint), { jobs: 'jobs', executions: 'executions' });
  const queues = sqsClient(sqsEmulator.endpoint);
  const run = await createRunQueues(queues);
  const notifications = await createNotificationQueue(queues);
  // fauxqs queue URLs name `sqs.<region>.localhost`, which the SDK calls (not the endpoint) and
  // which need not resolve on this machine: fauxqs' own test helper resolves it to loopback.
  const restoreDns = interceptLocalhostDns();
  const bucket = fakeBucket();
  const secret = { value: 'first-secret' };

  Object.assign(process.env, {
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SQS: sqsEmulator.endpoint,
    JOBS_TABLE: 'jobs',
    EXECUTIONS_TABLE: 'executions',
    RUN_QUEUE_HIGH_URL: run.urls.high,
    RUN_QUEUE_NORMAL_URL: run.urls.normal,
    RUN_QUEUE_LOW_URL: run.urls.low,
    NOTIFICATIONS_QUEUE_URL: notifications.url,
    ARCHIVE_BUCKET: 'archive-bucket',
    SCHEDULER_SHARDS: '1',
    SCHEDULER_SIGNING_SECRET_ARN: SIGNING_SECRET_ARN,
    SCHEDULER_TARGET_ALLOWLIST: '127.0.0.0/8',
    SCHEDULER_PUBLIC_URL: 'https://api.example.com',
    POWERTOOLS_DEV: 'true',
    POWERTOOLS_LOG_LEVEL: process.env.DEBUG_HARNESS ? 'DEBUG' : 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_TRACE_ENABLED: 'false',
  });

  const originalDynamoSend = DynamoDBDocumentClient.prototype.send;
  const mocks = {
    dynamodb: mockClient(DynamoDBDocumentClient),
    sqs: mockClient(SQSClient),
    s3: mockClient(S3Client),
    secretsmanager: mockClient(SecretsManagerClient),
  };
  // Every DynamoDB call reaches dynalite, unless a test made the next matching one fail.
  let failure: ((command: SentCommand) => boolean) | undefined;
  mocks.dynamodb.send.callsFake(function (this: DynamoDBDocumentClient, ...args: unknown[]) {
    if (failure?.(args[0] as SentCommand)) {
      failure = undefined;
      return Promise.reject(
        Object.assign(new Error('injected store failure'), { name: 'InternalServerError' }),
      );
    }
    return (originalDynamoSend as (...a: unknown[]) => Promise<never>).apply(this, args);
  });
  mocks.sqs.send.callThrough();
  mocks.s3.on(PutObjectCommand).callsFake((input) => bucket.client.send(new PutObjectCommand(input)));
  mocks.s3.on(GetObjectCommand).callsFake((input) => bucket.client.send(new GetObjectCommand(input)));
  mocks.s3.on(ListObjectsV2Command).callsFake((input) => bucket.client.send(new ListObjectsV2Command(input)));
  mocks.s3.on(DeleteObjectsCommand).callsFake((input) => bucket.client.send(new DeleteObjectsCommand(input)));
  mocks.secretsmanager.on(GetSecretValueCommand).callsFake(async () => ({ SecretString: secret.value }));

  const queueNames = new Map<string, string>([
    ...PRIORITIES.map((priority): [string, string] => [run.urls[priority], `runQueue:${priority}`]),
    [notifications.url, 'notifications'],
  ]);
  const commands = new Map<FunctionRole, Set<string>>();
  const lastCalls: LambdaHarness['lastCalls'] = [];
  async function as<T>(role: FunctionRole, invoke: () => Promise<T>): Promise<T> {
    for (const mock of Object.values(mocks)) mock.resetHistory();
    lastCalls.splice(0);
    try {
      return await invoke();
    } finally {
      const seen = commands.get(role) ?? new Set<string>();
      for (const [service, mock] of Object.entries(mocks)) {
        for (const call of mock.send.getCalls()) {
          const command = call.args[0] as { constructor: { name: string }; input: Record<string, unknown> };
          for (const line of describeCommand(service, command, queueNames)) {
            seen.add(line);
            lastCalls.push({ line, input: command.input });
          }
        }
      }
      commands.set(role, seen);
    }
  }

  const handlerOf = async <E, R>(module: Promise<{ handler: unknown }>) =>
    (await module).handler as Handler<E, R>;
  const api = await handlerOf<
    APIGatewayProxyEventV2,
    { statusCode?: number; headers?: Record<string, unknown>; body?: string }
  >(import('../../lambdas/api/handler.js'));
  const executor = await handlerOf<SQSEvent, SQSBatchResponse>(import('../../lambdas/executor/handler.js'));
  const watcher = await handlerOf<unknown, WatchReport>(import('../../lambdas/watcher/handler.js'));
  const notifier = await handlerOf<SQSEvent, SQSBatchResponse>(import('../../lambdas/notifier/handler.js'));
  const archiver = await handlerOf<unknown, SQSBatchResponse>(import('../../lambdas/archiver/handler.js'));
  const compactor = await handlerOf<unknown, { compacted: string[]; pending: string[] }>(
    import('../../lambdas/compactor/handler.js'),
  );

  const receive = async (queueUrl: string, waitSeconds = 0): Promise<SQSRecord[]> => {
    const out = await queues.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    const arn = `arn:aws:sqs:us-east-1:000000000000:${queueUrl.slice(queueUrl.lastIndexOf('/') + 1)}`;
    return (out.Messages ?? []).map((message) => ({
      ...sqsRecordOf(message, queueUrl),
      eventSourceARN: arn,
    }));
  };

  return {
    sink,
    bucket,
    secret,
    commands,
    lastCalls,
    failNextStoreCall(matches) {
      failure = matches;
    },
    async sendRaw(priority, body) {
      await queues.send(new SendMessageCommand({ QueueUrl: run.urls[priority], MessageBody: body }));
    },
    async api(method, path, body, headers = {}) {
      const event = apiGatewayEvent(
        method,
        path,
        body,
        { host: 'api.example.com', ...headers },
        {
          iam: { userArn: IAM_CALLER },
        },
      );
      const result = await as('api', () => api(event, context));
      const text = result.body ?? '';
      return {
        status: result.statusCode ?? 200,
        headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
        body: text ? JSON.parse(text) : undefined,
      };
    },
    async receiveRuns(priority, waitSeconds = 0) {
      const chosen = priority ? [priority] : PRIORITIES;
      return (await Promise.all(chosen.map((p) => receive(run.urls[p], waitSeconds)))).flat();
    },
    execute: (records) => as('executor', () => executor({ Records: records }, context)),
    watch: (shard) => as('watcher', () => watcher({ shard }, context)),
    receiveNotifications: () => receive(notifications.url),
    notify: (records) => as('notifier', () => notifier({ Records: records }, context)),
    archive: (event) => as('archiver', () => archiver(event, context)),
    // Its deployed timeout: it starts a shard only while minutes are left.
    compact: () => as('compactor', () => compactor({}, lambdaContext('compactor', 15 * 60_000))),
    async stop() {
      for (const mock of Object.values(mocks)) mock.restore();
      restoreDns();
      await sink.close();
      await sqsEmulator.stop();
      await dynamo.stop();
      data.remove();
    },
  };
}

const DYNAMO_ACTION: Record<string, string> = {
  GetCommand: 'GetItem',
  PutCommand: 'PutItem',
  UpdateCommand: 'UpdateItem',
  DeleteCommand: 'DeleteItem',
  QueryCommand: 'Query',
  ScanCommand: 'Scan',
  BatchGetCommand: 'BatchGetItem',
  BatchWriteCommand: 'BatchWriteItem',
  TransactWriteCommand: 'TransactWriteItems',
  TransactGetCommand: 'TransactGetItems',
};
const SQS_ACTION: Record<string, string> = {
  SendMessageCommand: 'SendMessage',
  SendMessageBatchCommand: 'SendMessage',
  ChangeMessageVisibilityCommand: 'ChangeMessageVisibility',
  ChangeMessageVisibilityBatchCommand: 'ChangeMessageVisibility',
  GetQueueAttributesCommand: 'GetQueueAttributes',
  ReceiveMessageCommand: 'ReceiveMessage',
  DeleteMessageCommand: 'DeleteMessage',
  DeleteMessageBatchCommand: 'DeleteMessage',
};

/** A command as the IAM action it needs on the resource it names: `jobs/index/due dynamodb:Query`. */
export function describeCommand(
  service: string,
  command: { constructor: { name: string }; input: Record<string, unknown> },
  queueNames: ReadonlyMap<string, string>,
): string[] {
  const name = command.constructor.name;
  const input = command.input;
  switch (service) {
    case 'dynamodb': {
      const action = DYNAMO_ACTION[name] ?? name.replace(/Command$/, '');
      const tables = input.RequestItems
        ? Object.keys(input.RequestItems as object)
        : [String(input.TableName)];
      const index = input.IndexName ? `/index/${String(input.IndexName)}` : '';
      return tables.map((table) => `${table}${index} dynamodb:${action}`);
    }
    case 'sqs': {
      const queue = queueNames.get(String(input.QueueUrl)) ?? String(input.QueueUrl);
      return [`${queue} sqs:${SQS_ACTION[name] ?? name.replace(/Command$/, '')}`];
    }
    case 's3': {
      if (name === 'ListObjectsV2Command') return ['archive s3:ListBucket'];
      if (name === 'DeleteObjectsCommand') {
        const { Objects = [] } = input.Delete as { Objects?: { Key?: string }[] };
        return Objects.map((object) => `archive/${object.Key} s3:DeleteObject`);
      }
      return [`archive/${String(input.Key)} s3:${name.replace(/Command$/, '')}`];
    }
    default:
      return [`signing-secret ${service}:${name.replace(/Command$/, '')}`];
  }
}
