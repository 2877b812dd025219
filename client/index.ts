export { apiKeyAuth, noAuth, type OutgoingRequest, type RequestAuth } from './auth.js';
export {
  type FetchLike,
  type RequestOptions,
  SchedulerClient,
  type SchedulerClientOptions,
} from './client.js';
export {
  type ApiErrorDetail,
  SchedulerApiError,
  SchedulerClientError,
  SchedulerNetworkError,
} from './errors.js';
export { collect, type PaginateOptions, paginate } from './paginate.js';
export { DEFAULT_RETRY, type RetryPolicy } from './retry.js';
export {
  type AwsCredentials,
  type CredentialsProvider,
  regionFromHost,
  type SigV4Options,
  sigV4Auth,
} from './sigv4.js';
export type * from './types.js';
