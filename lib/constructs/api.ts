import { Aws, Duration, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ENV } from '../../lambdas/composition/config.js';
import { grantCodeAccess } from './access.js';
import type { ExecutionArchive } from './archive.js';
import { HandlerConstruct, type HandlerSettings } from './function.js';
import { stackScopedName } from './names.js';

export interface SchedulerApiProps extends HandlerSettings {
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
  /**
   * Throttling of the routes anyone may call, each its own bucket apart from the tenants' stage
   * limit, so a flood of health checks or forged callbacks never spends the tenants' budget.
   * @default ANONYMOUS_ROUTE_THROTTLE
   */
  readonly anonymousThrottle?: Readonly<Record<AnonymousRouteKind, apigw.ThrottleSettings>>;
}

export type AnonymousRouteKind = 'health' | 'callback' | 'document';

/** Requests per second (and burst) of each anonymous route. */
export const ANONYMOUS_ROUTE_THROTTLE: Readonly<Record<AnonymousRouteKind, apigw.ThrottleSettings>> = {
  /** Probes and load balancers: a few a second is plenty. */
  health: { rateLimit: 10, burstLimit: 20 },
  /** Async targets' heartbeat and complete calls, one pair per long-running execution. */
  callback: { rateLimit: 200, burstLimit: 400 },
  /** The OpenAPI document, fetched by tooling now and then. */
  document: { rateLimit: 5, burstLimit: 10 },
};

/** Routes that authenticate inside the handler (a per-execution callback token) or not at all. */
export const UNAUTHENTICATED_ROUTES = [
  { method: apigw.HttpMethod.POST, path: '/v1/executions/{executionId}/heartbeat', kind: 'callback' },
  { method: apigw.HttpMethod.POST, path: '/v1/executions/{executionId}/complete', kind: 'callback' },
  { method: apigw.HttpMethod.GET, path: '/healthz', kind: 'health' },
  { method: apigw.HttpMethod.GET, path: '/v1/openapi.json', kind: 'document' },
] as const;

const WHY_ANONYMOUS: Readonly<Record<AnonymousRouteKind, string>> = {
  health: 'Health check for load balancers and probes: answers only whether the store and queues respond.',
  callback: 'Async-target callback: authenticated inside the handler by the per-execution callback token.',
  document: 'The OpenAPI document of the public contract: the same for every caller, no tenant data.',
};

/**
 * The public HTTP API: one Lambda behind `ANY /v1/{proxy+}` (IAM or JWT) and the unauthenticated
 * callback and health routes, on a throttled `$default` stage with JSON access logs.
 */
export class SchedulerApi extends HandlerConstruct {
  readonly httpApi: apigw.HttpApi;
  readonly stage: apigw.HttpStage;
  /** `https://<id>.execute-api.<region>.amazonaws.com` (no trailing slash). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: SchedulerApiProps) {
    super(scope, id, 'api', props, {
      description: 'Scheduler HTTP API (API Gateway payload format 2.0)',
      memorySize: props.memorySize ?? 1024,
      timeout: Duration.seconds(29),
    });

    grantCodeAccess(this.handler, 'api', props);
    props.archive.grantRead(this.handler);

    const authorizer = props.jwt
      ? new HttpJwtAuthorizer('Jwt', props.jwt.issuer, { jwtAudience: [...props.jwt.audience] })
      : new HttpIamAuthorizer();
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      apiName: stackScopedName(this, 'api', 128),
      description: 'Job scheduler API',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
    });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      // Kept with the data, so a later stack of the same name must not collide with it: the
      // stack id's unique part (new on every create) ends the name.
      logGroupName: `/aws/apigateway/${stackScopedName(this, 'api', 128)}/access-${Fn.select(2, Fn.split('/', Aws.STACK_ID))}`,
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
    // Links in notifications and callback URLs the API hands out are absolute.
    this.handler.addEnvironment(ENV.publicUrl, this.url);

    const integration = new HttpLambdaIntegration('Handler', this.handler, {
      payloadFormatVersion: apigw.PayloadFormatVersion.VERSION_2_0,
    });
    this.httpApi.addRoutes({ path: '/v1/{proxy+}', methods: [apigw.HttpMethod.ANY], integration });
    const throttles = props.anonymousThrottle ?? ANONYMOUS_ROUTE_THROTTLE;
    // `RouteSettings` is a JSON map in CloudFormation: written as it will be read.
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const route of UNAUTHENTICATED_ROUTES) {
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [route.method],
        integration,
        authorizer: new apigw.HttpNoneAuthorizer(),
      });
      if (created) {
        Validations.of(created).acknowledge({ id: 'AwsSolutions-APIG4', reason: WHY_ANONYMOUS[route.kind] });
      }
      const throttle = throttles[route.kind];
      routeSettings[`${route.method} ${route.path}`] = {
        ThrottlingRateLimit: throttle.rateLimit ?? 0,
        ThrottlingBurstLimit: throttle.burstLimit ?? 0,
      };
    }
    const cfnStage = this.stage.node.defaultChild as apigw.CfnStage;
    cfnStage.routeSettings = routeSettings;
    // Route settings name routes that must exist first.
    for (const route of this.httpApi.node.findAll()) {
      if (route instanceof apigw.HttpRoute) cfnStage.node.addDependency(route);
    }
  }
}
