import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { Logger } from '../core/ports/logger.js';
import type { SigningKeys } from '../core/ports/signing-keys.js';
import { parseSigningSecrets } from '../core/signing.js';

/** How long a read value is used before Secrets Manager is asked again: a new value signs within this. */
export const SIGNING_SECRET_MAX_AGE_SECONDS = 300;

/**
 * The signing secrets as a Secrets Manager secret holds them (`secret`, `new|old`, optionally
 * `,tenant=secret…`), read at run time through Powertools Parameters, which caches the value for
 * SIGNING_SECRET_MAX_AGE_SECONDS. A rotation therefore needs no deploy, and the value never sits in
 * the function's configuration. `secretsFor` stays synchronous for the services: `refresh()` runs
 * before each invocation (the `refreshSigningSecrets` middleware) and is a cache hit between reads.
 */
export class SecretsManagerSigningKeys implements SigningKeys {
  private secrets: Record<string, string[]> | undefined;

  constructor(
    private readonly secretId: string,
    private readonly log: Logger,
    private readonly provider: SecretsProvider = new SecretsProvider(),
    private readonly maxAgeSeconds = SIGNING_SECRET_MAX_AGE_SECONDS,
  ) {}

  /**
   * Reads the secret (from the cache while it is fresh). If Secrets Manager cannot be read, the
   * last value read goes on signing; without one there is nothing to sign with, and it throws.
   */
  async refresh(): Promise<void> {
    try {
      const value = await this.provider.get(this.secretId, { maxAge: this.maxAgeSeconds });
      if (typeof value !== 'string' || value === '')
        throw new Error('the signing secret has no string value');
      this.secrets = parseSigningSecrets(`*=${value}`);
    } catch (error) {
      if (!this.secrets) throw error;
      this.log.warn('could not read the signing secret; signing with the last value read', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  secretsFor(tenant: string): string[] {
    if (!this.secrets) throw new Error('signing secrets are read by refresh() before use');
    return this.secrets[tenant] ?? this.secrets['*'] ?? [];
  }
}
