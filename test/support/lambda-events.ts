import type { APIGatewayProxyEventV2, Context, SQSRecord } from 'aws-lambda';

/** The Lambda context handlers get in tests: enough for Powertools' logger and tracer. */
export function lambdaContext(functionName = 'handler-test', remainingMs = 60_000): Context {
  return {
    functionName,
    awsRequestId: 'req-1',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    getRemainingTimeInMillis: () => remainingMs,
  } as unknown as Context;
}

/** An API Gateway HTTP API (payload 2.0) request as the api handler receives it. */
export function apiGatewayEvent(
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
  authorizer: Record<string, unknown>,
): APIGatewayProxyEventV2 {
  const [rawPath = '/', query = ''] = path.split('?');
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: query,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(query ? { queryStringParameters: Object.fromEntries(new URLSearchParams(query)) } : {}),
    requestContext: {
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      authorizer,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

/** Run queue URLs as the stack names them in AWS. */
export const RUN_QUEUE_URLS = {
  high: 'https://sqs.us-east-1.amazonaws.com/123456789012/Scheduler-RunHigh',
  normal: 'https://sqs.us-east-1.amazonaws.com/123456789012/Scheduler-RunNormal',
  low: 'https://sqs.us-east-1.amazonaws.com/123456789012/Scheduler-RunLow',
};

/** The ARN of the queue at `url` (Lambda's event source names it so). */
export const queueArnOf = (url: string) => `arn:aws:sqs:us-east-1:123456789012:${url.split('/').pop()}`;

/** An SQS record of the queue at `queueUrl` on its `receiveCount`-th receive. */
export const sqsRecord = (id: string, queueUrl: string, receiveCount: number, body = 'not json'): SQSRecord =>
  ({
    messageId: id,
    receiptHandle: `rh-${id}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount) },
    eventSourceARN: queueArnOf(queueUrl),
  }) as unknown as SQSRecord;
