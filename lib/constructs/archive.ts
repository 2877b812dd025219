import { Aws, type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ARCHIVE_PREFIX } from '../../lambdas/core/history.js';
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
  /** Days after which objects move to Glacier Instant Retrieval (skipped if not before expiry). @default 90 */
  readonly glacierAfterDays?: number;
  /** Days the server access logs are kept. @default 90 */
  readonly accessLogRetentionDays?: number;
  /** What deleting the stack does to the buckets (they must be empty to be deleted). @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

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
 * The execution archive: gzip JSON Lines under
 * `executions/tenant=<t>/job=<jobId>/date=<yyyy-mm-dd>/` (lambdas/core/history.ts), kept private
 * and TLS-only, aged to Glacier Instant Retrieval and expired; a Glue table with partition
 * projection lets Athena query it without crawlers or partition maintenance.
 */
export class ExecutionArchive extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
  readonly databaseName: string;
  readonly tableName = 'executions';

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
        {
          id: 'age-and-expire-executions',
          prefix: ARCHIVE_PREFIX,
          ...(glacierAfterDays < retentionDays
            ? {
                transitions: [
                  {
                    storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                    transitionAfter: Duration.days(glacierAfterDays),
                  },
                ],
              }
            : {}),
          expiration: Duration.days(retentionDays),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy,
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
    const location = `s3://${this.bucket.bucketName}/${ARCHIVE_PREFIX}`;
    const table = new glue.CfnTable(this, 'Table', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        description: 'One row per archived execution; query with tenant and job (injected) and a date range',
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: [
          {
            name: 'tenant',
            type: 'string',
            comment: 'URL-encoded as in the object key (encodeURIComponent)',
          },
          { name: 'job', type: 'string' },
          { name: 'date', type: 'string', comment: 'UTC date of scheduledAt, yyyy-MM-dd' },
        ],
        parameters: {
          classification: 'json',
          compressionType: 'gzip',
          'projection.enabled': 'true',
          'projection.tenant.type': 'injected',
          'projection.job.type': 'injected',
          'projection.date.type': 'date',
          'projection.date.format': 'yyyy-MM-dd',
          'projection.date.range': `NOW-${retentionDays + hotRetentionDays}DAYS,NOW`,
          'projection.date.interval': '1',
          'projection.date.interval.unit': 'DAYS',
          'storage.location.template': `${location}tenant=\${tenant}/job=\${job}/date=\${date}/`,
        },
        storageDescriptor: {
          location,
          columns: [...ARCHIVE_COLUMNS],
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          compressed: true,
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'ignore.malformed.json': 'true' },
          },
        },
      },
    });
    table.node.addDependency(database);
  }

  /** Objects under the archive prefix: the only keys the handlers read or write. */
  get objectsArn(): string {
    return this.bucket.arnForObjects(`${ARCHIVE_PREFIX}*`);
  }

  /** Put archive objects, nothing else: no read, no delete, no other prefix. */
  grantWrite(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.objectsArn] });
    this.acknowledgePrefix(grantee, 'The archiver writes one object per stream batch and partition');
  }

  /** List the archive prefix and get its objects (the API's history reads). */
  grantRead(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.objectsArn] });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ARCHIVE_PREFIX}*`] } },
      }),
    );
    this.acknowledgePrefix(grantee, 'The API reads archived history of any tenant, job and day');
  }

  /** Object keys name tenant, job and day, so no list of ARNs can replace the prefix wildcard. */
  private acknowledgePrefix(grantee: iam.IGrantable, why: string): void {
    const bucket = this.bucket.node.defaultChild as CfnElement;
    if (!(grantee.grantPrincipal instanceof Construct)) return;
    acknowledgeWildcards(
      grantee.grantPrincipal,
      [`Resource::<${Stack.of(bucket).getLogicalId(bucket)}.Arn>/${ARCHIVE_PREFIX}*`],
      `${why}: keys are ${ARCHIVE_PREFIX}tenant=<t>/job=<id>/date=<day>/…, so the grant is every object under ` +
        'that prefix of this bucket and nothing else.',
    );
  }
}
