import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV } from '../lambdas/composition/config.js';
import { SchedulerApi } from './constructs/api.js';
import { ExecutionArchive } from './constructs/archive.js';
import { Archiver } from './constructs/archiver.js';
import { Compactor } from './constructs/compactor.js';
import { schedulerEnvironment, targetRolePatternOf } from './constructs/environment.js';
import { EXECUTOR_TIMEOUT, Executors } from './constructs/executors.js';
import { Monitoring } from './constructs/monitoring.js';
import { NOTIFIER_TIMEOUT, Notifier } from './constructs/notifier.js';
import { SchedulerQueues } from './constructs/queues.js';
import { enforceResourceLimit } from './constructs/resource-limit.js';
import { type SchedulerSettings, settingsFrom } from './constructs/settings.js';
import { SigningSecret } from './constructs/signing.js';
import { SchedulerStorage } from './constructs/storage.js';
import { Watchers } from './constructs/watchers.js';

export interface SchedulerStackProps extends StackProps {
  /** Settings that win over CDK context. @default - context, then DEFAULT_SETTINGS */
  readonly settings?: Partial<SchedulerSettings>;
}

/** AWS guidance for a Lambda event source: visibility timeout at least six times the function timeout. */
const sixTimes = (timeout: Duration) => Duration.seconds(timeout.toSeconds() * 6);

/**
 * A run's lease is its message's visibility: it must outlast the executor's longest invocation
 * (Lambda refuses a shorter one), plus a minute for a throttled batch to start. Not six times:
 * a crashed or timed-out run then comes back after 16 minutes, not 90; failed runs the executor
 * returns itself come back within seconds (lambdas/executor/redelivery.ts).
 */
const runLease = (timeout: Duration) => Duration.seconds(timeout.toSeconds() + 60);

/** The whole scheduler: storage, queues, the six functions around them, archive and monitoring. */
export class SchedulerStack extends Stack {
  readonly settings: SchedulerSettings;
  readonly storage: SchedulerStorage;
  readonly queues: SchedulerQueues;
  readonly archive: ExecutionArchive;
  readonly signing: SigningSecret;
  readonly api: SchedulerApi;
  readonly watchers: Watchers;
  readonly executors: Executors;
  readonly archiver: Archiver;
  readonly compactor: Compactor;
  readonly notifier: Notifier;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: SchedulerStackProps = {}) {
    super(scope, id, { description: 'Serverless job scheduler', ...props });
    const settings = settingsFrom(this.node, props.settings);
    this.settings = settings;
    const removalPolicy = settings.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    const logRetention = settings.logRetentionDays as logs.RetentionDays;

    this.storage = new SchedulerStorage(this, 'Storage', { removalPolicy });
    this.queues = new SchedulerQueues(this, 'Queues', {
      runVisibilityTimeout: runLease(EXECUTOR_TIMEOUT),
      notificationsVisibilityTimeout: sixTimes(NOTIFIER_TIMEOUT),
      deadLetterRemovalPolicy: removalPolicy,
    });
    this.archive = new ExecutionArchive(this, 'Archive', {
      retentionDays: settings.archiveRetentionDays,
      hotRetentionDays: settings.hotRetentionDays,
      removalPolicy,
    });
    this.signing = new SigningSecret(this, 'Signing', { removalPolicy });
    const { jobsTable, executionsTable } = this.storage;
    const { run, notifications } = this.queues;
    const environment = schedulerEnvironment({
      jobsTable,
      executionsTable,
      queues: this.queues,
      archiveBucket: this.archive.bucket,
      settings,
    });

    this.api = new SchedulerApi(this, 'Api', {
      environment,
      jobsTable,
      executionsTable,
      runQueues: this.queues.runQueues,
      notificationsQueue: notifications.queue,
      archive: this.archive,
      ...(settings.jwtIssuer
        ? { jwt: { issuer: settings.jwtIssuer, audience: settings.jwtAudience ?? [] } }
        : {}),
      throttle: { rateLimit: settings.apiThrottleRate, burstLimit: settings.apiThrottleBurst },
      logRetention,
      accessLogRemovalPolicy: removalPolicy,
    });
    // Every function that publishes notifications links to executions on this API.
    const publishing = { ...environment, [ENV.publicUrl]: this.api.url };
    this.watchers = new Watchers(this, 'Watchers', {
      environment: publishing,
      shards: settings.shards,
      enabled: settings.watchersEnabled,
      jobsTable,
      executionsTable,
      runQueues: this.queues.runQueues,
      notificationsQueue: notifications.queue,
      logRetention,
    });
    // Growing `shards`: every new watcher schedule exists before the API hashes new jobs onto it.
    this.api.handler.node.addDependency(...this.watchers.schedules);

    this.executors = new Executors(this, 'Executors', {
      // Async targets get heartbeat/complete URLs on this API.
      environment: { ...publishing, ...this.signing.environment },
      jobsTable,
      executionsTable,
      runQueues: { high: run.high.queue, normal: run.normal.queue, low: run.low.queue },
      notificationsQueue: notifications.queue,
      concurrency: settings.executorConcurrency,
      logRetention,
      targetRolePattern: targetRolePatternOf(settings),
    });
    this.archiver = new Archiver(this, 'Archiver', {
      environment,
      executionsTable,
      archive: this.archive,
      logRetention,
    });
    this.signing.grantRead(this.executors.handler);
    this.compactor = new Compactor(this, 'Compactor', { environment, archive: this.archive, logRetention });
    this.notifier = new Notifier(this, 'Notifier', {
      // Webhooks are signed like target calls.
      environment: { ...environment, ...this.signing.environment },
      queue: notifications.queue,
      ...(settings.sesIdentity ? { sesIdentity: settings.sesIdentity } : {}),
      ...(settings.emailFrom ? { emailFrom: settings.emailFrom } : {}),
      logRetention,
    });
    this.signing.grantRead(this.notifier.handler);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      shards: settings.shards,
      functions: {
        api: this.api.handler,
        watcher: this.watchers.handler,
        executor: this.executors.handler,
        archiver: this.archiver.handler,
        notifier: this.notifier.handler,
        compactor: this.compactor.handler,
      },
      httpApi: this.api.httpApi,
      runQueues: { high: run.high.queue, normal: run.normal.queue, low: run.low.queue },
      notificationsQueue: notifications.queue,
      deadLetterQueues: {
        RunHigh: run.high.deadLetterQueue,
        RunNormal: run.normal.deadLetterQueue,
        RunLow: run.low.deadLetterQueue,
        Notifications: notifications.deadLetterQueue,
        WatcherTicks: this.watchers.deadLetterQueue,
        ArchiverFailures: this.archiver.failures,
      },
      ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
    });

    this.outputs();
    enforceResourceLimit(this);
  }

  private outputs(): void {
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('ApiUrl', this.api.url, 'Base URL of the scheduler API');
    output(
      'ApiInvokeArn',
      this.api.httpApi.arnForExecuteApi('*', '/v1/*'),
      'Resource for execute-api:Invoke in the IAM policies of API callers',
    );
    output('JobsTableName', this.storage.jobsTable.tableName, 'Jobs table');
    output('ExecutionsTableName', this.storage.executionsTable.tableName, 'Executions table');
    output('ArchiveBucketName', this.archive.bucket.bucketName, 'Execution archive bucket');
    output('ArchiveGlueTable', `${this.archive.databaseName}.${this.archive.tableName}`, 'Athena table');
    output(
      'ArchiveStagingGlueTable',
      `${this.archive.databaseName}.${this.archive.stagingTableName}`,
      'Athena table of archived executions not compacted yet',
    );
    output('WatcherScheduleGroup', this.watchers.group.scheduleGroupName, 'SCHEDULER_WATCHER_GROUP');
    output('WatcherFunctionArn', this.watchers.handler.functionArn, 'SCHEDULER_WATCHER_FUNCTION_ARN');
    output('WatcherInvokeRoleArn', this.watchers.invokeRole.roleArn, 'SCHEDULER_WATCHER_ROLE_ARN');
    output('WatcherDeadLetterQueueArn', this.watchers.deadLetterQueue.queueArn, 'SCHEDULER_WATCHER_DLQ_ARN');
    output(
      'SigningSecretArn',
      this.signing.secret.secretArn,
      'Secret receivers verify X-Scheduler-Signature with',
    );
    output(
      'ExecutorRoleArn',
      this.executors.handler.role!.roleArn,
      'Principal that target roles trust (docs/deploy.md, "Target roles")',
    );
    output('AlarmTopicArn', this.monitoring.topic.topicArn, 'SNS topic of every alarm');
    output('DashboardName', this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard');
  }
}
