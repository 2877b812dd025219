import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { GLACIER_IR_MIN_OBJECT_BYTES } from '../../lib/constructs/archive.js';
import { DEFAULT_SETTINGS } from '../../lib/constructs/settings.js';
import { TTL_PRINCIPAL } from '../../schemas/stream.js';
import { cfn, logicalId, only, patternMatches, resources, type Synthesized, synth } from './support.js';

/** The stack with the defaults of cdk.json, synthesized once for this file. */
let s: Synthesized;

beforeAll(() => {
  s = synth();
});

const tableWithKey = (key: string, sortKey?: string) =>
  only(s.template, 'AWS::DynamoDB::Table', {
    KeySchema: [
      { AttributeName: key, KeyType: 'HASH' },
      ...(sortKey ? [{ AttributeName: sortKey, KeyType: 'RANGE' }] : []),
    ],
  }).Properties as Record<string, unknown> & {
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

  it("the Jobs table's indexes project only what their readers use: no body or headers, nothing an advance or a completion writes into byTenant", () => {
    const projections = Object.fromEntries(
      (
        tableWithKey('jobId').GlobalSecondaryIndexes as unknown as {
          IndexName: string;
          Projection: { ProjectionType: string; NonKeyAttributes?: string[] };
        }[]
      ).map((index) => [index.IndexName, index.Projection]),
    );
    expect(projections.byTenant).toEqual({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['name'] });
    expect(projections.due?.ProjectionType).toBe('INCLUDE');
    expect([...(projections.due?.NonKeyAttributes ?? [])].sort()).toEqual(
      [
        'anchorAt',
        'misfire',
        'misfireGraceSeconds',
        'nextRunAt',
        'planRev',
        'priority',
        'schedule',
        'shard',
        'status',
        'tenant',
        'version',
      ].sort(),
    );
    // What an advance writes (besides the due keys) is in neither index but `due`'s nextRunAt: byTenant stays untouched.
    expect(projections.byTenant?.NonKeyAttributes).not.toContain('nextRunAt');
    expect(projections.byTenant?.NonKeyAttributes).not.toContain('enqueuedThrough');
    // Nor what a one-time job's completion writes (status, version, updatedAt).
    for (const completed of ['status', 'version', 'updatedAt'])
      expect(projections.byTenant?.NonKeyAttributes).not.toContain(completed);
  });

  it('the Executions table is keyed by job and scheduled instant (no byJob index), has pending and dead indexes, TTL on expiresAt and an OLD_IMAGE stream', () => {
    const executions = tableWithKey('jobId', 'scheduledAt');
    expect(indexes(executions)).toEqual({
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
