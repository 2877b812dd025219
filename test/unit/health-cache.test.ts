import { describe, expect, it } from 'vitest';
import { cachedHealth } from '../../lambdas/api/health-cache.js';

describe('cachedHealth', () => {
  it('checks once per ten seconds, however many probes, and remembers a failure as long', async () => {
    let now = 0;
    let checks = 0;
    let healthy = false;
    const health = cachedHealth(
      async () => {
        checks++;
        if (!healthy) throw new Error('down');
      },
      () => now,
    );
    await expect(health()).rejects.toThrow('down');
    healthy = true;
    now = 9_999;
    await expect(health()).rejects.toThrow('down');
    now = 10_000;
    await expect(health()).resolves.toBeUndefined();
    await Promise.all([health(), health(), health()]);
    expect(checks).toBe(2);
  });
});
