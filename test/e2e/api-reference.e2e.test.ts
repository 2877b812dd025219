import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../lambdas/api/openapi.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { describeWithoutChromium, hasChromium, launchChromium } from '../support/browser.js';
import { API_KEY, startTestRuntime, tempDataDir } from '../support/runtime.js';

/** Every operation's summary, as Redoc titles it. */
function summaries(): string[] {
  const doc = openApiDocument();
  return [...Object.values(doc.paths ?? {}), ...Object.values(doc.webhooks ?? {})].flatMap((item) =>
    Object.values(item).flatMap((op) =>
      op && typeof op === 'object' && 'summary' in op ? [String(op.summary)] : [],
    ),
  );
}

if (!hasChromium()) {
  describeWithoutChromium('API reference at /docs in a browser', 'API reference browser test');
} else {
  describe('API reference at /docs in a browser', () => {
    const data = tempDataDir();
    let runtime: LocalRuntime;
    let browser: Browser;
    const problems: string[] = [];
    const requested: string[] = [];

    function watch(page: Page): Page {
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => requested.push(r.url()));
      return page;
    }

    beforeAll(async () => {
      [runtime, browser] = await Promise.all([startTestRuntime(data.dir), launchChromium()]);
    });

    afterAll(async () => {
      await browser?.close();
      await runtime?.stop();
      data.remove();
    });

    it('serves the page, its script and Redoc from this server, with a Content-Security-Policy', async () => {
      const page = await fetch(`${runtime.url}/docs`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
      const html = await page.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/https?:\/\//);
      const redoc = await fetch(`${runtime.url}/docs/redoc.standalone.js`);
      expect(redoc.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(await redoc.text()).not.toContain('cdn.redoc.ly');
      expect((await fetch(`${runtime.url}/docs`, { method: 'POST' })).status).toBe(405);
    });

    it('renders every operation of the document, asking nothing of any other host', async () => {
      const page = watch(await browser.newPage({ viewport: { width: 1280, height: 900 } }));
      await page.goto(`${runtime.url}/docs`);
      await page.waitForSelector('body[data-loaded="true"]');
      const titles = (await page.locator('h2').allTextContents()).map((t) => t.trim());
      for (const summary of summaries())
        expect(
          titles.some((t) => t.startsWith(summary)),
          summary,
        ).toBe(true);
      await expect.poll(() => page.locator('text=Scheduler API').count()).toBeGreaterThan(0);
      const elsewhere = requested.filter((url) => !url.startsWith(runtime.url) && !/^(blob|data):/.test(url));
      expect(elsewhere).toEqual([]);
      expect(requested).toContain(`${runtime.url}/v1/openapi.json`);
      await page.close();
    });

    it('is linked from the dashboard', async () => {
      const page = watch(await browser.newPage());
      await page.goto(`${runtime.url}/?key=${API_KEY}`);
      await page.waitForSelector('body[data-loaded="true"]');
      const [reference] = await Promise.all([
        page.context().waitForEvent('page'),
        page.click('#api-reference'),
      ]);
      watch(reference);
      await reference.waitForSelector('body[data-loaded="true"]');
      expect(new URL(reference.url()).pathname).toBe('/docs');
      expect(await reference.locator('h2', { hasText: 'Create a job' }).count()).toBe(1);
      await reference.close();
      await page.close();
    });

    it('ran without script errors or CSP violations', () => {
      expect(problems).toEqual([]);
    });
  });
}
