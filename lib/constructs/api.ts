import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ExecutionArchive } from './archive.js';
import { acknowledgeTableIndexes, SchedulerFunction } from './function.js';

export interface SchedulerApiProps {
  readonly environment: Readonly<Record<string, string>>;
  readonly jobsTable: dynamodb.ITable;
  readonly executionsTable: dynamodb.ITable;
  /** The trigger and create fast paths enqueue runs directly. */
  readonly runQueues: readonly sqs.IQueue[];
  /** A `complete` callback or a cancel finishes an execution, and may notify. */
  readonly notificationsQueue: sqs.IQueue;
  /** History older than the hot window is read from it. */
  readonly archive: ExecutionArchive;
  /** A JWT authorizer instead of IAM (SigV4) on every authenticated route. @default - IAM authorization */
  readonly jwt?: { readonly issuer: string; readonly audience: readonly string[] };
  /** Stage throttling. @default { rateLimit: 500, burstLimit: 1000 } */
  readonly throttle?: apigw.ThrottleSettings;
  /** Retention of the function's and the access log's log groups. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What deleting the stack does to the access log (an audit trail, kept like the data). @default RemovalPolicy.RETAIN */
  readonly accessLogRemovalPolicy?: RemovalPolicy;
  /** @default 1024 (CPU scales with memory; the create/cancel p99 target is tight) */
  readonly memorySize?: number;
}

const CALLBACK_REASON =
  'Async-target callback: authenticated inside the handler by the per-execution callback token.';

/** Routes that authenticate inside the handler (a per-execution callback token) or not at all. */
export const UNAUTHENTICATED_ROUTES = [
  { method: apigw.HttpMethod.POST, path: '/v1/executions/{executionId}/heartbeat', reason: CALLBACK_REASON },
  { method: apigw.HttpMethod.POST, path: '/v1/executions/{executionId}/complete', reason: CALLBACK_REASON },
  {
    method: apigw.HttpMethod.GET,
    path: '/healthz',
    reason: 'Health check for load balancers and probes: answers only whether the store and queues respond.',
  },
  {
    method: apigw.HttpMethod.GET,
    path: '/v1/openapi.json',
    reason: 'The OpenAPI document (public in the repository too): client generators fetch it unsigned.',
  },
] as const;

/**
 * The public HTTP API: one Lambda behind `ANY /v1/{proxy+}` (IAM or JWT) and the unauthenticated
 * callback and health routes, on a throttled `$default` stage with JSON access logs.
 */
export class SchedulerApi extends Construct {
  readonly handler: SchedulerFunction;
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  /** `https://<id>.execute-api.<region>.amazonaws.com` (no trailing slash). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: SchedulerApiProps) {
    super(scope, id);
    this.handler = new SchedulerFunction(this, 'Handler', {
      entry: 'lambdas/api/handler.ts',
      description: 'Scheduler HTTP API (API Gateway payload format 2.0)',
      environment: props.environment,
      memorySize: props.memorySize ?? 1024,
      timeout: Duration.seconds(29),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
    });

    props.jobsTable.grantReadWriteData(this.handler);
    props.executionsTable.grantReadWriteData(this.handler);
    acknowledgeTableIndexes(this.handler, [props.jobsTable, props.executionsTable]);
    for (const queue of props.runQueues) queue.grantSendMessages(this.handler);
    props.notificationsQueue.grantSendMessages(this.handler);
    props.archive.grantRead(this.handler);

    const authorizer = props.jwt
      ? new HttpJwtAuthorizer('Jwt', props.jwt.issuer, { jwtAudience: [...props.jwt.audience] })
      : new HttpIamAuthorizer();
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'Job scheduler API',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.accessLogRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stage = this.httpApi.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 500, burstLimit: 1000 },
      accessLogSettings: {
        destination: new apigw.LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            caller: '$context.identity.caller',
            user: '$context.identity.userArn',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    this.url = this.httpApi.apiEndpoint;

    const integration = new HttpLambdaIntegration('Handler', this.handler, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
    });
    this.httpApi.addRoutes({ path: '/v1/{proxy+}', methods: [apigw.HttpMethod.ANY], integration });
    for (const route of UNAUTHENTICATED_ROUTES) {
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [route.method],
        integration,
        authorizer: new apigw.HttpNoneAuthorizer(),
      });
      if (created) {
        Validations.of(created).acknowledge({ id: 'AwsSolutions-APIG4', reason: route.reason });
      }
    }
  }
}
