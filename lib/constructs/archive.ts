import { Aws, type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARCHIVE_PREFIX, PARTS_PREFIX, STAGING_PREFIX } from '../../lambdas/adapters/archive-layout.js';
import { acknowledgeWildcards } from './function.js';

export interface ExecutionArchiveProps {
  /** Days an archived execution is kept. @default 400 */
  readonly retentionDays?: number;
  /**
   * Days an execution stays hot before it is archived. Its date partition (the day it was due) is
   * this much older than the object, so Athena's date projection reaches back hot + retention days.
   * @default 90
   */
  readonly hotRetentionDays?: number;
  /**
   * Days after which compacted parts of at least GLACIER_IR_MIN_OBJECT_BYTES move to Glacier Instant
   * Retrieval (skipped if not before expiry). @default 90
   */
  readonly glacierAfterDays?: number;
  /** Days the server access logs are kept. @default 90 */
  readonly accessLogRetentionDays?: number;
  /** What deleting the stack does to the buckets (they must be empty to be deleted). @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Glacier Instant Retrieval bills every object as at least 128 KB and charges a transition per
 * object; below ~113 KB an object kept its remaining ~310 days costs less in S3 Standard
 * (docs/history.md, "Retention"). The lifecycle names this size itself rather than rely on S3's
 * default (objects under 128 KB skip transitions since September 2024): the rule says what happens.
 */
export const GLACIER_IR_MIN_OBJECT_BYTES = 128 * 1024;

/**
 * Days an execution may sit in staging before its part exists: up to two days of TTL lag, then
 * the compaction's day and settle time (archive-compactor.ts). Athena's date projection reaches
 * this much further back than hot + retention days.
 */
const STAGING_LAG_DAYS = 5;

/** Staging is compacted within about two days; the staging table's projection looks back a month, for a stuck compactor. */
const STAGING_PROJECTION_DAYS = 30;

/**
 * Columns of one archived row (schemas/archive.ts, the public Execution resource) as Athena's
 * JSON SerDe reads it: names lower-cased, `tenant` left out because it is a partition key.
 */
export const ARCHIVE_COLUMNS: readonly glue.CfnTable.ColumnProperty[] = [
  { name: 'executionid', type: 'string' },
  { name: 'jobid', type: 'string' },
  { name: 'scheduledat', type: 'string' },
  { name: 'trigger', type: 'string' },
  { name: 'status', type: 'string' },
  {
    name: 'attempts',
    type: 'array<struct<attempt:int,startedat:string,finishedat:string,status:string,statuscode:int,error:string,durationms:bigint>>',
  },
  { name: 'startedat', type: 'string' },
  { name: 'finishedat', type: 'string' },
  { name: 'latebyms', type: 'bigint' },
  { name: 'nextattemptat', type: 'string' },
  { name: 'reason', type: 'string' },
];

/**
 * The execution archive (lambdas/adapters/archive-layout.ts): staging objects under
 * `executions/staging/date=<d>/hour=<h>/`, compacted parts under `executions/tenant=<t>/date=<d>/`,
 * kept private and TLS-only, large parts aged to Glacier Instant Retrieval, everything expired.
 * Two Glue tables with partition projection (parts by tenant and day, staging by day and hour)
 * let Athena query it without crawlers or partition maintenance.
 */
export class ExecutionArchive extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly databaseName: string;
  readonly tableName = 'executions';
  readonly stagingTableName = 'executions_staging';

  constructor(scope: Construct, id: string, props: ExecutionArchiveProps = {}) {
    super(scope, id);
    const retentionDays = props.retentionDays ?? 400;
    const hotRetentionDays = props.hotRetentionDays ?? 90;
    const glacierAfterDays = props.glacierAfterDays ?? 90;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Server access log delivery supports SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogRetentionDays ?? 90) }],
      removalPolicy,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket of the archive; logging it into itself would loop.',
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'archive/',
      lifecycleRules: [
        // Everything the archive writes expires: parts with their indexes, and staging or plans left behind.
        { id: 'expire-executions', prefix: ARCHIVE_PREFIX, expiration: Duration.days(retentionDays) },
        ...(glacierAfterDays < retentionDays
          ? [
              {
                id: 'compacted-parts-to-glacier-ir',
                prefix: PARTS_PREFIX,
                objectSizeGreaterThan: GLACIER_IR_MIN_OBJECT_BYTES,
                transitions: [
                  {
                    storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                    transitionAfter: Duration.days(glacierAfterDays),
                  },
                ],
              },
            ]
          : []),
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy,
    });
    // The L2 writes the size filter as a number; CloudFormation's schema types it as a string of
    // digits and coerces it (W9003). The value deploys as written.
    Validations.of(this.bucket).acknowledge({
      id: 'CloudFormation-Validate::W9003',
      reason:
        'ObjectSizeGreaterThan is written as a number by the S3 L2; CloudFormation coerces it to the string it expects.',
    });

    this.databaseName = `${Stack.of(this)
      .stackName.toLowerCase()
      .replace(/[^a-z0-9_]/g, '_')}_archive`;
    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: this.databaseName,
        description: 'Archived scheduler executions (gzip JSON Lines in S3)',
      },
    });
    const bucketUrl = `s3://${this.bucket.bucketName}/`;
    const jsonLines = (location: string, columns: readonly glue.CfnTable.ColumnProperty[]) => ({
      location,
      columns: [...columns],
      inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      compressed: true,
      serdeInfo: {
        serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
        parameters: { 'ignore.malformed.json': 'true' },
      },
    });
    const table = new glue.CfnTable(this, 'Table', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description:
          'One row per compacted archived execution; query with tenant (injected) and a date range, filter on jobid',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [
          {
            name: 'tenant',
            type: 'string',
            comment: 'URL-encoded as in the object key (encodeURIComponent)',
          },
          { name: 'date', type: 'string', comment: 'UTC date of scheduledAt, yyyy-MM-dd' },
        ],
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.tenant.type': 'injected',
          'projection.date.type': 'date',
          'projection.date.format': 'yyyy-MM-dd',
          'projection.date.range': `NOW-${retentionDays + hotRetentionDays + STAGING_LAG_DAYS}DAYS,NOW`,
          'projection.date.interval': '1',
          'projection.date.interval.unit': 'DAYS',
          // Parts only: staging, indexes and plans sit outside every `tenant=` prefix.
          'storage.location.template': `${bucketUrl}${PARTS_PREFIX}\${tenant}/date=\${date}/`,
        },
        storageDescriptor: jsonLines(`${bucketUrl}${ARCHIVE_PREFIX}`, ARCHIVE_COLUMNS),
      },
    });
    table.node.addDependency(database);

    const staging = new glue.CfnTable(this, 'StagingTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: this.stagingTableName,
        description:
          'Archived executions not compacted yet (the last days of archiving), every tenant; query with a date range',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [
          { name: 'date', type: 'string', comment: 'UTC date the batch left the hot table, yyyy-MM-dd' },
          { name: 'hour', type: 'string', comment: 'UTC hour the batch left the hot table, 00-23' },
        ],
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.date.type': 'date',
          'projection.date.format': 'yyyy-MM-dd',
          'projection.date.range': `NOW-${STAGING_PROJECTION_DAYS}DAYS,NOW`,
          'projection.date.interval': '1',
          'projection.date.interval.unit': 'DAYS',
          'projection.hour.type': 'integer',
          'projection.hour.range': '0,23',
          'projection.hour.digits': '2',
          'storage.location.template': `${bucketUrl}${STAGING_PREFIX}date=\${date}/hour=\${hour}/`,
        },
        storageDescriptor: jsonLines(`${bucketUrl}${STAGING_PREFIX}`, [
          ...ARCHIVE_COLUMNS,
          { name: 'tenant', type: 'string' },
        ]),
      },
    });
    staging.node.addDependency(database);
  }

  /** Objects under the archive prefix: the only keys the handlers read or write. */
  get objectsArn(): string {
    return this.bucket.arnForObjects(`${ARCHIVE_PREFIX}*`);
  }

  /** Put staging objects, nothing else: no read, no delete, no other prefix (the archiver). */
  grantWrite(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject'],
      resourceArns: [this.bucket.arnForObjects(`${STAGING_PREFIX}*`)],
    });
    this.acknowledgePrefix(
      grantee,
      STAGING_PREFIX,
      'The archiver writes one staging object per stream batch',
    );
  }

  /** List the archive prefix and get its objects (the API's history reads). */
  grantRead(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.objectsArn] });
    this.grantList(grantee);
    this.acknowledgePrefix(
      grantee,
      ARCHIVE_PREFIX,
      'The API reads archived history of any tenant, job and day',
    );
  }

  /** Read, write and delete under the archive prefix (the compactor: staging in, parts out, staging gone). */
  grantCompact(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resourceArns: [this.objectsArn],
    });
    this.grantList(grantee);
    this.acknowledgePrefix(
      grantee,
      ARCHIVE_PREFIX,
      'The compactor reads staging, writes parts, indexes and plans, and deletes the staging it compacted',
    );
  }

  private grantList(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ARCHIVE_PREFIX}*`] } },
      }),
    );
  }

  /** Object keys name tenants, days and batches, so no list of ARNs can replace the prefix wildcard. */
  private acknowledgePrefix(grantee: iam.IGrantable, prefix: string, why: string): void {
    const bucket = this.bucket.node.defaultChild as CfnElement;
    if (!(grantee.grantPrincipal instanceof Construct)) return;
    acknowledgeWildcards(
      grantee.grantPrincipal,
      [`Resource::<${Stack.of(bucket).getLogicalId(bucket)}.Arn>/${prefix}*`],
      `${why}: keys are ${prefix}… (docs/history.md, "Archive layout"), so the grant is every object under ` +
        'that prefix of this bucket and nothing else.',
    );
  }
}
