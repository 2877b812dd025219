import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { describe, it } from 'vitest';

/**
 * Debian's Chromium (`apt-get install chromium`), or Ubuntu's name for it; CHROMIUM_PATH points
 * elsewhere.
 */
export const CHROMIUM_PATH =
  process.env.CHROMIUM_PATH ??
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path)) ??
  '/usr/bin/chromium';

export function hasChromium(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/**
 * The system Chromium, headless, with nothing that phones home. Playwright gives each launch a
 * fresh temporary profile (user data dir) and removes it on close.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Stands in for a browser suite when there is no Chromium: on a developer machine the suite is
 * skipped and says why; in CI a missing browser fails, because .ci/run installs Debian's chromium.
 */
export function describeWithoutChromium(suite: string, what: string): void {
  const why = `${what} not run: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
  describe(suite, () => {
    it('needs Chromium', (ctx) => {
      if (process.env.CI) throw new Error(`${why}; .ci/run should have installed it`);
      process.stdout.write(`NOTICE: ${why}\n`);
      ctx.skip(why);
    });
  });
}
