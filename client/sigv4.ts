import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { OutgoingRequest, RequestAuth } from './auth.js';

type SignerInit = ConstructorParameters<typeof SignatureV4>[0];
export type AwsCredentials = Exclude<SignerInit['credentials'], (...args: never[]) => unknown>;
export type CredentialsProvider = () => Promise<AwsCredentials>;

/** SHA-256 (or HMAC-SHA-256 with a secret) on node:crypto, in the shape the Smithy signer expects. */
class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret: string | Uint8Array | undefined;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret =
      secret === undefined || typeof secret === 'string'
        ? secret
        : ArrayBuffer.isView(secret)
          ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)
          : new Uint8Array(secret);
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(
      typeof data === 'string' || ArrayBuffer.isView(data)
        ? (data as string | Uint8Array)
        : new Uint8Array(data),
    );
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export interface SigV4Options {
  /** Defaults to the region in an `execute-api` host name, then AWS_REGION / AWS_DEFAULT_REGION. */
  region?: string;
  /** API Gateway's signing name. */
  service?: string;
  /** Static credentials or a provider; defaults to the AWS SDK's default provider chain. */
  credentials?: AwsCredentials | CredentialsProvider;
  /** For tests: the signing instant. */
  now?: () => Date;
}

/** `abc123.execute-api.eu-west-1.amazonaws.com` → `eu-west-1`. */
export function regionFromHost(host: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host)?.[1];
}

async function defaultCredentials(): Promise<CredentialsProvider> {
  // Loaded lazily: local use (an API key) never pays for the provider chain.
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  return defaultProvider();
}

/**
 * Signs every request with AWS Signature Version 4 for an API Gateway HTTP API with IAM
 * authorization. The body is part of the signature, so a retry is signed afresh.
 */
export function sigV4Auth(options: SigV4Options = {}): RequestAuth {
  let credentials: Promise<AwsCredentials | CredentialsProvider> | undefined;
  const signers = new Map<string, SignatureV4>();
  return {
    async headersFor(request: OutgoingRequest) {
      const region =
        options.region ??
        regionFromHost(request.url.hostname) ??
        process.env.AWS_REGION ??
        process.env.AWS_DEFAULT_REGION;
      if (!region) {
        throw new Error('SigV4 needs a region: pass `region`, or set AWS_REGION');
      }
      credentials ??= options.credentials ? Promise.resolve(options.credentials) : defaultCredentials();
      let signer = signers.get(region);
      if (!signer) {
        signer = new SignatureV4({
          service: options.service ?? 'execute-api',
          region,
          credentials: await credentials,
          sha256: NodeSha256,
          // API Gateway does not need x-amz-content-sha256; the payload hash is signed regardless.
          applyChecksum: false,
        });
        signers.set(region, signer);
      }
      const query: Record<string, string | string[]> = {};
      for (const [name, value] of request.url.searchParams) {
        const seen = query[name];
        query[name] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
      }
      const signed = await signer.sign(
        {
          method: request.method,
          protocol: request.url.protocol,
          hostname: request.url.hostname,
          ...(request.url.port ? { port: Number(request.url.port) } : {}),
          path: request.url.pathname,
          query,
          headers: { ...request.headers, host: request.url.host },
          ...(request.body === undefined ? {} : { body: request.body }),
        },
        { signingDate: options.now?.() ?? new Date() },
      );
      const added: Record<string, string> = {};
      for (const [name, value] of Object.entries(signed.headers)) {
        // fetch sets Host itself (to the same value); it refuses to take it from us.
        if (name.toLowerCase() !== 'host') added[name] = value;
      }
      return added;
    },
  };
}
