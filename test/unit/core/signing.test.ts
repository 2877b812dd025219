import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from '../../../lambdas/core/signing.js';

describe('signing', () => {
  it('signs t.body with HMAC-SHA256 and verifies with any current secret', () => {
    const header = signatureHeader('s1', 1_700_000_000, '{"a":1}');
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(header, '{"a":1}', ['s0', 's1'], 1_700_000_010)).toBe(true);
    expect(verifySignature(header, '{"a":2}', ['s1'], 1_700_000_010)).toBe(false);
    expect(verifySignature(header, '{"a":1}', ['other'], 1_700_000_010)).toBe(false);
    expect(verifySignature(header, '{"a":1}', ['s1'], 1_700_001_000)).toBe(false);
    expect(verifySignature('garbage', '{"a":1}', ['s1'], 1_700_000_010)).toBe(false);
  });
});
