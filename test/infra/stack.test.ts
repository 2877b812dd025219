import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { GLACIER_IR_MIN_OBJECT_BYTES } from '../../lib/constructs/archive.js';
import { DEFAULT_SETTINGS } from '../../lib/constructs/settings.js';
import { acknowledgementsIn, nagFindings, resourceCounts } from '../../lib/synth-report.js';
import { TTL_PRINCIPAL } from '../../schemas/stream.js';
import { cfn, logicalId, only, patternMatches, resources, type Synthesized, synth } from './support.js';

/** The stack with the defaults of cdk.json, synthesized once for this file. */
let s: Synthesized;
beforeAll(() => {
  s = synth();
});

const tableWithKey = (key: string) =>
  only(s.template, 'AWS::DynamoDB::Table', { KeySchema: [{ AttributeName: key, KeyType: 'HASH' }] })
    .Properties as Record<string, unknown> & {
    GlobalSecondaryIndexes: { IndexName: string; KeySchema: { AttributeName: string; KeyType: string }[] }[];
  };
const indexes = (table: ReturnType<typeof tableWithKey>) =>
  Object.fromEntries(
    table.GlobalSecondaryIndexes.map((index) => [
      index.IndexName,
      index.KeySchema.map((k) => k.AttributeName),
    ]),
  );

describe('storage', () => {
  it('the Jobs table has the sparse due index, the byTenant index and TTL on expiresAt', () => {
    const jobs = tableWithKey('jobId');
    expect(indexes(jobs)).toEqual({ due: ['dueBucket', 'dueKey'], byTenant: ['tenant', 'createdKey'] });
    expect(jobs.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  it('the Executions table has byJob, pending and dead indexes, TTL on expiresAt and an OLD_IMAGE stream', () => {
    const executions = tableWithKey('executionId');
    expect(indexes(executions)).toEqual({
      byJob: ['jobId', 'scheduledAt'],
      pending: ['pendingShard', 'pendingAt'],
      dead: ['deadTenant', 'finishedAt'],
    });
    expect(executions.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(executions.StreamSpecification).toEqual({ StreamViewType: 'OLD_IMAGE' });
  });

  it('both tables are on demand, encrypted, with point-in-time recovery, retained and deletion-protected', () => {
    for (const [, table] of Object.entries(resources(s.template, 'AWS::DynamoDB::Table'))) {
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      });
      expect(table.DeletionPolicy).toBe('Retain');
    }
  });
});

describe('archive', () => {
  const archiveBucket = () => s.template.toJSON().Resources[logicalId(s.stack, s.stack.archive.bucket)];

  it('blocks public access, is encrypted and logs access', () => {
    expect(archiveBucket().Properties).toMatchObject({
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      LoggingConfiguration: {
        DestinationBucketName: cfn(s.stack, s.stack.archive.accessLogsBucket.bucketName),
      },
    });
  });

  it('denies every request without TLS', () => {
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: cfn(s.stack, s.stack.archive.bucket.bucketName),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('expires everything the archive writes after the retention, whatever its size', () => {
    const rules = archiveBucket().Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];
    const expiry = rules.find((rule) => rule.Id === 'expire-executions');
    expect(expiry).toEqual({
      Id: 'expire-executions',
      Prefix: 'executions/',
      Status: 'Enabled',
      ExpirationInDays: DEFAULT_SETTINGS.archiveRetentionDays,
    });
  });

  it('moves compacted parts of 128 KiB and more to Glacier Instant Retrieval after 90 days, naming the size itself', () => {
    // S3 skips transitions of objects under 128 KB by default (since September 2024): a rule
    // without a size filter reads as if it applied to every part, and small ones never move.
    const rules = archiveBucket().Properties.LifecycleConfiguration.Rules as Record<string, unknown>[];
    const glacier = rules.filter((rule) => JSON.stringify(rule).includes('GLACIER_IR'));
    expect(glacier).toEqual([
      {
        Id: 'compacted-parts-to-glacier-ir',
        Status: 'Enabled',
        Prefix: 'executions/tenant=',
        ObjectSizeGreaterThan: GLACIER_IR_MIN_OBJECT_BYTES,
        Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
      },
    ]);
    expect(GLACIER_IR_MIN_OBJECT_BYTES).toBe(128 * 1024);
  });

  const glueTable = (name: string) =>
    only(s.template, 'AWS::Glue::Table', { TableInput: { Name: name } }).Properties.TableInput as {
      PartitionKeys: { Name: string }[];
      Parameters: Record<string, string>;
      StorageDescriptor: {
        Location: unknown;
        Columns: { Name: string }[];
        SerdeInfo: { SerializationLibrary: string };
      };
    };
  const locationTemplate = (table: ReturnType<typeof glueTable>) =>
    JSON.stringify(s.stack.resolve(table.Parameters['storage.location.template']));

  it('has a Glue table over the compacted parts with partition projection on tenant and date', () => {
    const table = glueTable('executions');
    expect(table.PartitionKeys.map((key) => key.Name)).toEqual(['tenant', 'date']);
    expect(table.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.tenant.type': 'injected',
      'projection.date.type': 'date',
      'projection.date.format': 'yyyy-MM-dd',
      // Partitions are days runs were due: hot days, the days in staging, then the retention of a part.
      'projection.date.range': `NOW-${DEFAULT_SETTINGS.archiveRetentionDays + DEFAULT_SETTINGS.hotRetentionDays + 5}DAYS,NOW`,
      compressionType: 'gzip',
    });
    expect(table.Parameters['projection.job.type']).toBeUndefined();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's placeholders, not JavaScript's
    expect(locationTemplate(table)).toContain('/executions/tenant=${tenant}/date=${date}/');
    expect(JSON.stringify(table.StorageDescriptor.Location)).toContain(
      logicalId(s.stack, s.stack.archive.bucket),
    );
    expect(table.StorageDescriptor.Columns.map((c) => c.Name)).toContain('jobid');
    expect(table.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
  });

  it('has a Glue table over the staging objects by removal date and hour, with the tenant as a column', () => {
    const table = glueTable('executions_staging');
    expect(table.PartitionKeys.map((key) => key.Name)).toEqual(['date', 'hour']);
    expect(table.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.date.type': 'date',
      'projection.hour.type': 'integer',
      'projection.hour.range': '0,23',
      'projection.hour.digits': '2',
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's placeholders, not JavaScript's
    expect(locationTemplate(table)).toContain('/executions/staging/date=${date}/hour=${hour}/');
    expect(table.StorageDescriptor.Columns.map((c) => c.Name)).toEqual(
      expect.arrayContaining(['tenant', 'jobid']),
    );
  });
});

describe('compactor', () => {
  const fn = () => s.template.toJSON().Resources[logicalId(s.stack, s.stack.compactor.handler)].Properties;

  it('runs every hour from an EventBridge rule, one at a time, with no async retries of its own', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: cfn(s.stack, s.stack.compactor.handler.functionArn) })],
    });
    expect(fn()).toMatchObject({ Timeout: 900, MemorySize: 2048, ReservedConcurrentExecutions: 1 });
    s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: cfn(s.stack, s.stack.compactor.handler.functionName),
      MaximumRetryAttempts: 0,
    });
  });

  it('may read, write and delete archive objects and list the archive prefix, and touch nothing else', () => {
    const policy = only(s.template, 'AWS::IAM::Policy', {
      Roles: [cfn(s.stack, s.stack.compactor.handler.role?.roleName)],
    }).Properties.PolicyDocument as {
      Statement: { Action: string | string[]; Resource: unknown; Condition?: unknown }[];
    };
    const statements = policy.Statement.filter((st) => [st.Action].flat().some((a) => a.startsWith('s3:')));
    expect(statements.flatMap((st) => [st.Action].flat()).sort()).toEqual([
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    const actions = policy.Statement.flatMap((st) => [st.Action].flat());
    expect(actions.filter((a) => a.startsWith('dynamodb:') || a.startsWith('sqs:'))).toEqual([]);
    const objects = statements.find((st) => [st.Action].flat().includes('s3:DeleteObject'))!;
    expect(JSON.stringify(objects.Resource)).toContain('/executions/*');
    const list = statements.find((st) => [st.Action].flat().includes('s3:ListBucket'))!;
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['executions/*'] } });
  });
});

describe('functions', () => {
  const functions = () => Object.values(resources(s.template, 'AWS::Lambda::Function'));

  it('are the six handlers, each on arm64 and Node.js 22 with active tracing', () => {
    expect(functions()).toHaveLength(6);
    for (const fn of functions()) {
      expect(fn.Properties).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs22.x',
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
      });
    }
  });

  it('each writes to a log group of its own with the configured retention', () => {
    const logGroups = resources(s.template, 'AWS::Logs::LogGroup');
    const used = functions().map(
      (fn) => (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref,
    );
    expect(new Set(used).size).toBe(6);
    for (const id of used) {
      expect(logGroups[id]?.Properties.RetentionInDays).toBe(DEFAULT_SETTINGS.logRetentionDays);
    }
  });

  it('their logs go with the stack; the API access log, an audit trail, is retained like the data', () => {
    const retained = Object.entries(resources(s.template, 'AWS::Logs::LogGroup'))
      .filter(([, group]) => group.DeletionPolicy === 'Retain')
      .map(([id]) => id);
    expect(retained).toEqual([logicalId(s.stack, s.stack.api.node.findChild('AccessLogs'))]);
  });

  it('each gets the configuration every handler requires (lambdas/composition/config.ts)', () => {
    for (const fn of functions()) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(variables)).toEqual(
        expect.arrayContaining([
          'JOBS_TABLE',
          'EXECUTIONS_TABLE',
          'RUN_QUEUE_HIGH_URL',
          'RUN_QUEUE_NORMAL_URL',
          'RUN_QUEUE_LOW_URL',
          'NOTIFICATIONS_QUEUE_URL',
          'ARCHIVE_BUCKET',
          'SCHEDULER_SHARDS',
          'SCHEDULER_LOOKAHEAD_SECONDS',
          'SCHEDULER_HISTORY_HOT_SECONDS',
          'POWERTOOLS_SERVICE_NAME',
        ]),
      );
      expect(variables.SCHEDULER_HISTORY_HOT_SECONDS).toBe(
        String(DEFAULT_SETTINGS.hotRetentionDays * 86_400),
      );
    }
  });

  it('only the executor and the notifier read the signing secret, by ARN at run time, never its value', () => {
    const signers = [s.stack.executors.handler, s.stack.notifier.handler].map((fn) => logicalId(s.stack, fn));
    const secretArn = cfn(s.stack, s.stack.signing.secret.secretArn);
    for (const [id, fn] of Object.entries(resources(s.template, 'AWS::Lambda::Function'))) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(JSON.stringify(variables)).not.toContain('resolve:secretsmanager');
      expect(variables.SCHEDULER_SIGNING_SECRETS).toBeUndefined();
      if (signers.includes(id)) expect(variables.SCHEDULER_SIGNING_SECRET_ARN).toEqual(secretArn);
      else expect(variables.SCHEDULER_SIGNING_SECRET_ARN).toBeUndefined();
    }
    const readers = Object.values(resources(s.template, 'AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes('secretsmanager:'),
    );
    expect(readers.flatMap((policy) => policy.Properties.Roles)).toEqual(
      expect.arrayContaining(
        [s.stack.executors.handler, s.stack.notifier.handler].map((fn) => cfn(s.stack, fn.role?.roleName)),
      ),
    );
    expect(readers).toHaveLength(2);
    for (const policy of readers) {
      const statements = (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
        .Statement;
      expect(statements.filter((st) => JSON.stringify(st.Action).includes('secretsmanager:'))).toEqual([
        expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: secretArn }),
      ]);
    }
  });
});

describe('executors', () => {
  const mappingOf = (queueArn: string) =>
    only(s.template, 'AWS::Lambda::EventSourceMapping', { EventSourceArn: cfn(s.stack, queueArn) })
      .Properties;

  it('consume each run queue with partial batch responses and the concurrency cap of its priority', () => {
    for (const priority of ['high', 'normal', 'low'] as const) {
      const mapping = mappingOf(s.stack.queues.run[priority].queue.queueArn);
      expect(mapping).toMatchObject({
        FunctionName: cfn(s.stack, s.stack.executors.handler.functionName),
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: DEFAULT_SETTINGS.executorConcurrency[priority] },
      });
    }
  });

  it('each queue has a dead-letter queue and SSE; a run lease covers the longest executor invocation', () => {
    for (const { queue, deadLetterQueue } of [
      ...Object.values(s.stack.queues.run),
      s.stack.queues.notifications,
    ]) {
      const props = s.template.toJSON().Resources[logicalId(s.stack, queue)].Properties;
      expect(props.RedrivePolicy.deadLetterTargetArn).toEqual(cfn(s.stack, deadLetterQueue.queueArn));
      expect(props.SqsManagedSseEnabled).toBe(true);
    }
    const executor = s.template.toJSON().Resources[logicalId(s.stack, s.stack.executors.handler)].Properties;
    for (const { queue } of Object.values(s.stack.queues.run)) {
      const props = s.template.toJSON().Resources[logicalId(s.stack, queue)].Properties;
      expect(props.VisibilityTimeout).toBeGreaterThanOrEqual(executor.Timeout);
      expect(props.VisibilityTimeout).toBeLessThanOrEqual(executor.Timeout + 60);
    }
  });
});

describe('archiver', () => {
  const mapping = () =>
    only(s.template, 'AWS::Lambda::EventSourceMapping', {
      EventSourceArn: cfn(s.stack, s.stack.storage.executionsTable.tableStreamArn),
    }).Properties as {
      FilterCriteria: { Filters: { Pattern: string }[] };
      [key: string]: unknown;
    };
  const keeps = (record: unknown) =>
    mapping().FilterCriteria.Filters.some((filter) => patternMatches(JSON.parse(filter.Pattern), record));

  it('keeps only the removals made by DynamoDB TTL', () => {
    const ttlRemoval = {
      eventName: 'REMOVE',
      userIdentity: { type: 'Service', principalId: TTL_PRINCIPAL },
      dynamodb: {},
    };
    expect(keeps(ttlRemoval)).toBe(true);
    expect(keeps({ eventName: 'REMOVE', dynamodb: {} })).toBe(false); // a delete by the API or an operator
    expect(
      keeps({ ...ttlRemoval, userIdentity: { type: 'Service', principalId: 'other.amazonaws.com' } }),
    ).toBe(false);
    expect(keeps({ eventName: 'MODIFY', dynamodb: {} })).toBe(false);
    expect(keeps({ eventName: 'INSERT', dynamodb: {} })).toBe(false);
  });

  it('reports failed records, bisects, and sends what still fails to its failure queue', () => {
    expect(mapping()).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: cfn(s.stack, s.stack.archiver.failures.queueArn) } },
    });
  });

  it('gathers removals for the longest window a stream allows, so objects hold more rows (fewer PUTs)', () => {
    expect(mapping()).toMatchObject({ MaximumBatchingWindowInSeconds: 300, BatchSize: 1000 });
  });

  it('may put staging objects and nothing else in S3', () => {
    const policy = only(s.template, 'AWS::IAM::Policy', {
      Roles: [cfn(s.stack, s.stack.archiver.handler.role?.roleName)],
    }).Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] };
    const s3 = policy.Statement.filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('s3:')),
    );
    expect(s3.flatMap((statement) => [statement.Action].flat())).toEqual(['s3:PutObject']);
    expect(JSON.stringify(s3[0]!.Resource)).toContain('/executions/staging/*');
  });
});

describe('watchers', () => {
  const schedules = () => Object.values(resources(s.template, 'AWS::Scheduler::Schedule'));

  it('one schedule per shard, every minute, no flexible window, each invoking the watcher with its shard', () => {
    expect(schedules()).toHaveLength(DEFAULT_SETTINGS.shards);
    const shards = schedules().map((schedule) => {
      expect(schedule.Properties).toMatchObject({
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        State: 'ENABLED',
        GroupName: { Ref: logicalId(s.stack, s.stack.watchers.group) },
      });
      const target = schedule.Properties.Target as { Arn: unknown; Input: string };
      expect(target.Arn).toEqual(cfn(s.stack, s.stack.watchers.handler.functionArn));
      const { shard } = JSON.parse(target.Input) as { shard: number };
      expect(schedule.Properties.Name).toBe(`shard-${shard}`);
      return shard;
    });
    expect(shards.sort((a, b) => a - b)).toEqual(
      Array.from({ length: DEFAULT_SETTINGS.shards }, (_, i) => i),
    );
  });

  it('a failed tick is retried briefly (not past the next tick) and then dead-lettered', () => {
    for (const schedule of schedules()) {
      expect(schedule.Properties.Target).toMatchObject({
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 60 },
        DeadLetterConfig: { Arn: cfn(s.stack, s.stack.watchers.deadLetterQueue.queueArn) },
        RoleArn: cfn(s.stack, s.stack.watchers.invokeRole.roleArn),
      });
    }
  });

  it('the invoke role may call the watcher and dead-letter a tick, nothing else', () => {
    const policy = only(s.template, 'AWS::IAM::Policy', {
      Roles: [cfn(s.stack, s.stack.watchers.invokeRole.roleName)],
    }).Properties.PolicyDocument as { Statement: { Action: string | string[] }[] };
    const actions = policy.Statement.flatMap((statement) => [statement.Action].flat());
    expect(actions.sort()).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
  });

  it('the API function is deployed after every schedule exists (growing shards never strands a job)', () => {
    const api = s.template.toJSON().Resources[logicalId(s.stack, s.stack.api.handler)];
    const scheduleIds = Object.keys(resources(s.template, 'AWS::Scheduler::Schedule'));
    expect(api.DependsOn).toEqual(expect.arrayContaining(scheduleIds));
  });
});

describe('notifier', () => {
  it('has no SES permission when no identity is configured', () => {
    for (const policy of Object.values(resources(s.template, 'AWS::IAM::Policy'))) {
      expect(JSON.stringify(policy.Properties.PolicyDocument)).not.toContain('ses:');
    }
  });
});

describe('api', () => {
  it('authorizes /v1 with IAM (SigV4) by default; callbacks, health and the OpenAPI document are open to the handler', () => {
    const routes = Object.values(resources(s.template, 'AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties,
    );
    expect(routes).toContainEqual(
      expect.objectContaining({ RouteKey: 'ANY /v1/{proxy+}', AuthorizationType: 'AWS_IAM' }),
    );
    const open = routes.filter((route) => route.AuthorizationType === 'NONE').map((route) => route.RouteKey);
    expect(open.sort()).toEqual([
      'GET /healthz',
      'GET /v1/openapi.json',
      'POST /v1/executions/{executionId}/complete',
      'POST /v1/executions/{executionId}/heartbeat',
    ]);
    s.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('throttles the stage and writes JSON access logs', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: {
        ThrottlingRateLimit: DEFAULT_SETTINGS.apiThrottleRate,
        ThrottlingBurstLimit: DEFAULT_SETTINGS.apiThrottleBurst,
      },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId"') },
    });
  });
});

describe('monitoring', () => {
  const alarms = () =>
    Object.values(resources(s.template, 'AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
  const alarmOn = (metricName: string) => {
    const found = alarms().filter((alarm) => alarm.MetricName === metricName);
    expect(found.length).toBeGreaterThan(0);
    return found;
  };
  const dimensionRef = (alarm: Record<string, unknown>) =>
    JSON.stringify((alarm.Dimensions as { Value: unknown }[] | undefined)?.map((d) => d.Value));

  it('has a dashboard of the scheduling path, from due runs to outcomes, queues, watchers and throttles', () => {
    const body = JSON.stringify(only(s.template, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody);
    for (const title of [
      'Due runs per minute',
      'Start lateness (ms)',
      'Executions by outcome per minute',
      'Queue depth (visible messages)',
      'Age of oldest message (s)',
      'Dead letters',
      'Watcher duration (ms)',
      'Throttles',
    ]) {
      expect(body, title).toContain(`\\"title\\":\\"${title}\\"`);
    }
  });

  it('alarms when p99 start lateness is above 1 s', () => {
    const lateness = alarms().filter((alarm) =>
      JSON.stringify(alarm.Metrics ?? []).includes('"StartLatenessMs"'),
    );
    expect(lateness).toHaveLength(1);
    expect(lateness[0]).toMatchObject({
      Metrics: [{ MetricStat: { Stat: 'p99', Metric: { Namespace: 'Scheduler' } } }],
      Threshold: 1000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms on watcher errors and on minutes with fewer invocations than shards (missed ticks)', () => {
    const watcher = JSON.stringify([cfn(s.stack, s.stack.watchers.handler.functionName)]);
    expect(alarmOn('Errors').some((alarm) => dimensionRef(alarm) === watcher)).toBe(true);
    const [missed] = alarmOn('Invocations');
    expect(dimensionRef(missed!)).toBe(watcher);
    expect(missed).toMatchObject({
      Threshold: DEFAULT_SETTINGS.shards,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('alarms as soon as any dead-letter or failure queue holds a message', () => {
    const queues = [
      ...s.stack.queues.deadLetterQueues,
      s.stack.watchers.deadLetterQueue,
      s.stack.archiver.failures,
    ].map((queue) => JSON.stringify([cfn(s.stack, queue.queueName)]));
    const watched = alarmOn('ApproximateNumberOfMessagesVisible')
      .filter(
        (alarm) => alarm.Threshold === 1 && alarm.ComparisonOperator === 'GreaterThanOrEqualToThreshold',
      )
      .map(dimensionRef);
    expect(watched.sort()).toEqual(queues.sort());
  });

  it('alarms on the failure rate of finished executions and on archiver and compactor errors', () => {
    const rate = alarms().find((alarm) =>
      JSON.stringify(alarm.Metrics ?? []).includes('(f + d) / (s + f + d)'),
    );
    expect(rate).toMatchObject({ Threshold: 0.1, ComparisonOperator: 'GreaterThanThreshold' });
    const archiver = JSON.stringify([cfn(s.stack, s.stack.archiver.handler.functionName)]);
    expect(alarmOn('Errors').some((alarm) => dimensionRef(alarm) === archiver)).toBe(true);
    const compactor = JSON.stringify([cfn(s.stack, s.stack.compactor.handler.functionName)]);
    expect(alarmOn('Errors').find((alarm) => dimensionRef(alarm) === compactor)).toMatchObject({
      Period: 3600,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
    });
  });

  it('every alarm notifies the topic; without alarmEmail nothing is subscribed to it', () => {
    const topic = cfn(s.stack, s.stack.monitoring.topic.topicArn);
    for (const alarm of alarms()) expect(alarm.AlarmActions).toEqual([topic]);
    s.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('cdk-nag', () => {
  it('AwsSolutions reports no unacknowledged finding, and every acknowledgement gives a reason', () => {
    expect(nagFindings(s.app)).toEqual([]);
    const acknowledgements = acknowledgementsIn(s.app);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const ack of acknowledgements) expect(ack.reason.length, ack.id).toBeGreaterThan(40);
  });

  it('the stack has the resources the design names, by type', () => {
    expect(resourceCounts(s.stack)).toMatchObject({
      'AWS::DynamoDB::Table': 2,
      'AWS::Lambda::Function': 6,
      'AWS::Lambda::EventSourceMapping': 5, // three run queues, notifications, the stream
      'AWS::SQS::Queue': 10, // run ×3, notifications, their four DLQs, watcher DLQ, archiver failures
      'AWS::Scheduler::Schedule': DEFAULT_SETTINGS.shards,
      'AWS::Glue::Table': 2, // compacted parts, staging
      'AWS::Events::Rule': 1, // the compactor's schedule
      'AWS::S3::Bucket': 2,
    });
  });
});
