import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  SecretsManagerSigningKeys,
  SIGNING_SECRET_MAX_AGE_SECONDS,
} from '../../lambdas/adapters/secrets-manager-signing-keys.js';
import { silentLogger } from '../support/services.js';

describe('SecretsManagerSigningKeys', () => {
  const secrets = mockClient(SecretsManagerClient);
  afterEach(() => {
    secrets.reset();
    vi.useRealTimers();
  });

  it('signs with the secret’s current value and picks up a new one within its cache age, no deploy', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 2, 8) });
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'first|old,team-b=own' }).resolves({
      SecretString: 'second|first',
    });
    const keys = new SecretsManagerSigningKeys('arn:secret', silentLogger);
    // Act & Assess
    await keys.refresh();
    expect(keys.secretsFor('team-a')).toEqual(['first', 'old']);
    expect(keys.secretsFor('team-b')).toEqual(['own']);
    await keys.refresh();
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    vi.setSystemTime(Date.UTC(2026, 2, 8) + (SIGNING_SECRET_MAX_AGE_SECONDS + 1) * 1000);
    await keys.refresh();
    expect(keys.secretsFor('team-a')).toEqual(['second', 'first']);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('keeps signing with the last value when Secrets Manager fails, and refuses to start without one', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: Date.UTC(2026, 2, 8) });
    secrets.on(GetSecretValueCommand).rejects(new Error('AccessDeniedException'));
    const fresh = new SecretsManagerSigningKeys('arn:other', silentLogger);
    await expect(fresh.refresh()).rejects.toThrow();
    expect(() => fresh.secretsFor('team-a')).toThrow(/refresh/);

    secrets.reset();
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'kept' }).rejects(new Error('throttled'));
    const keys = new SecretsManagerSigningKeys('arn:kept', silentLogger);
    await keys.refresh();
    vi.setSystemTime(Date.UTC(2026, 2, 9));
    await keys.refresh();
    expect(keys.secretsFor('anyone')).toEqual(['kept']);
  });
});
