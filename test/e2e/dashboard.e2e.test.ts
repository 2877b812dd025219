import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SchedulerClient } from '../../client/index.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { describeWithoutChromium, hasChromium, launchChromium } from '../support/browser.js';
import { API_KEY, startTestRuntime, tempDataDir } from '../support/runtime.js';
import { type Sink, startSink, waitFor } from '../support/sink.js';

/** 128 characters, the longest name there is, and no space to break it at. */
const LONG_NAME = `nightly-${'partition-rebuild-'.repeat(7)}`.slice(0, 128);

if (!hasChromium()) {
  describeWithoutChromium('local dashboard in a browser', 'dashboard browser test');
} else {
  describe('local dashboard in a browser', () => {
    const data = tempDataDir();
    let runtime: LocalRuntime;
    let sink: Sink;
    let browser: Browser;
    let client: SchedulerClient;
    let healthy = false;
    const jobs: Record<string, string> = {};
    let deadId = '';
    const problems: string[] = [];

    /** A page of the dashboard; `clock` fixes the time the page reads (Date.now), timers still run. */
    async function openPage(path: string, clock?: number): Promise<Page> {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      if (clock !== undefined) await page.clock.setFixedTime(clock);
      await page.goto(`${runtime.url}${path}`);
      return page;
    }

    beforeAll(async () => {
      sink = await startSink();
      sink.respond((call) => ({ status: call.path === '/flaky' && !healthy ? 503 : 200 }));
      [runtime, browser] = await Promise.all([
        startTestRuntime(data.dir, { targetAllowlist: ['127.0.0.0/8', '::1'] }),
        launchChromium(),
      ]);
      client = new SchedulerClient({ endpoint: runtime.url, apiKey: API_KEY });
      const [ok, daily, flaky, long] = await Promise.all([
        client.createJob({
          name: 'ok-now',
          schedule: { type: 'immediate' },
          target: { url: `${sink.url}/ok` },
        }),
        client.createJob({
          name: 'daily-report',
          schedule: { type: 'cron', expression: '30 2 * * *', timezone: 'America/New_York' },
          target: { url: `${sink.url}/report` },
        }),
        client.createJob({
          name: 'flaky-hook',
          schedule: { type: 'immediate' },
          target: { url: `${sink.url}/flaky` },
          retry: { maxAttempts: 2, initialDelaySeconds: 0.1, maxDelaySeconds: 1, jitter: 'none' },
        }),
        client.createJob({
          name: LONG_NAME,
          schedule: { type: 'cron', expression: '0 0 1 1 *' },
          target: { url: `${sink.url}/long` },
        }),
      ]);
      Object.assign(jobs, { ok: ok.id, daily: daily.id, flaky: flaky.id, long: long.id });
      const dead = await waitFor(
        async () => (await client.listDeadLetters()).items.find((e) => e.jobId === flaky.id),
        10_000,
        'the flaky job to dead-letter',
      );
      deadId = dead.executionId;
      await waitFor(
        async () => (await client.getJob(ok.id)).lastRun?.status === 'succeeded',
        5000,
        'the immediate job to succeed',
      );
    });

    afterAll(async () => {
      await browser?.close();
      await runtime?.stop();
      await sink?.close();
      data.remove();
    });

    it('serves the page at / without a key, with a strict Content-Security-Policy', async () => {
      const page = await fetch(`${runtime.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('unsafe');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await page.text();
      expect(html).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>[^<]/);
      const script = await fetch(`${runtime.url}/dashboard/app.js`);
      expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
      // The API behind it still wants a key.
      expect((await fetch(`${runtime.url}/v1/jobs`)).status).toBe(401);
    });

    it('takes the key once from ?key=, removes it from the address bar and shows the jobs', async () => {
      // The page reads its clock 5 h 7 min 30 s before the daily job's next run, whatever the time of day.
      const nextRunAt = (await client.getJob(jobs.daily!)).nextRunAt!;
      const page = await openPage(
        `/?key=${API_KEY}`,
        Date.parse(nextRunAt) - (5 * 3600 + 7 * 60 + 30) * 1000,
      );
      await page.waitForSelector('body[data-loaded="true"]');
      expect(new URL(page.url()).search).toBe('');
      expect(await page.evaluate('sessionStorage.getItem("scheduler.apiKey")')).toBe(API_KEY);

      const daily = page.locator(`#jobs tr[data-job-id="${jobs.daily}"]`);
      await expect.poll(() => daily.textContent()).toContain('daily-report');
      expect(await page.locator('#jobs thead th').allTextContents()).toEqual([
        'Name',
        'Status',
        'Schedule',
        'Next run',
        'Last run',
        '',
      ]);
      expect(await daily.locator('td').count()).toBe(6);
      const dailyText = (await daily.textContent()) ?? '';
      expect(dailyText).toContain('cron 30 2 * * * (America/New_York)');
      expect(dailyText).toContain('in 5h 7m');
      const ok = page.locator(`#jobs tr[data-job-id="${jobs.ok}"]`);
      expect(await ok.locator('td.last-run .badge').textContent()).toBe('succeeded');
      const flaky = page.locator(`#jobs tr[data-job-id="${jobs.flaky}"]`);
      expect(await flaky.locator('td.last-run .badge').textContent()).toBe('dead');

      // A reload keeps the key for the session, without it in the address.
      await page.reload();
      await page.waitForSelector('body[data-loaded="true"]');
      expect(await page.locator('#login').isHidden()).toBe(true);
      await page.close();
    });

    it('cuts a long name short with an ellipsis, the full name on hover, the other columns in view', async () => {
      const page = await openPage(`/?key=${API_KEY}`);
      await page.waitForSelector('body[data-loaded="true"]');
      const row = page.locator(`#jobs tr[data-job-id="${jobs.long}"]`);
      const name = row.locator('.name');
      expect(await name.getAttribute('title')).toBe(LONG_NAME);
      type Styled = { getComputedStyle(node: unknown): { textOverflow: string } };
      expect(
        await name.evaluate((node) => (globalThis as unknown as Styled).getComputedStyle(node).textOverflow),
      ).toBe('ellipsis');
      expect(
        await name.evaluate(
          (node: { scrollWidth: number; clientWidth: number }) => node.scrollWidth > node.clientWidth,
        ),
      ).toBe(true);
      const button = await row.locator('button.trigger').boundingBox();
      expect(button).not.toBeNull();
      expect(button!.x + button!.width).toBeLessThanOrEqual(1280);
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1280);
      await page.close();
    });

    it("draws a job's execution timeline and the start lateness of the last hour", async () => {
      const page = await openPage(`/?key=${API_KEY}`);
      await page.waitForSelector('body[data-loaded="true"]');
      await page.click(`#jobs tr[data-job-id="${jobs.ok}"]`);
      await expect.poll(() => page.locator('#timeline-job').textContent()).toContain('ok-now');
      await expect.poll(() => page.locator('#timeline svg circle[data-status="succeeded"]').count()).toBe(1);
      expect(await page.locator('#executions tbody tr').count()).toBe(1);

      // Two executions ran in the last hour (ok-now and flaky-hook): two points, with a summary.
      await expect.poll(() => page.locator('#lateness svg circle').count()).toBe(2);
      expect(await page.locator('#lateness-summary').textContent()).toMatch(
        /^2 runs · p50 \d+ ms · p99 \d+ ms · max \d+ ms$/,
      );
      await page.close();
    });

    it('lists dead letters and replays one with its button', async () => {
      const page = await openPage(`/?key=${API_KEY}`);
      await page.waitForSelector('body[data-loaded="true"]');
      const row = page.locator(`#dead-letters tr[data-execution-id="${deadId}"]`);
      expect(await row.textContent()).toContain('HTTP 503');
      // The job's name beside its id.
      expect(await row.locator('td.job .name').textContent()).toBe('flaky-hook');
      expect(await row.locator('td.job .id').textContent()).toBe(jobs.flaky);
      const callsBefore = sink.calls.filter((c) => c.path === '/flaky').length;
      healthy = true;
      await row.locator('button.replay').click();
      await waitFor(
        async () => (await client.getExecution(deadId)).status === 'succeeded',
        8000,
        'the replayed execution to succeed',
      );
      expect(sink.calls.filter((c) => c.path === '/flaky').length).toBe(callsBefore + 1);
      await page.click('#refresh');
      await expect.poll(() => page.locator('#dead-empty').isVisible()).toBe(true);
      expect(await page.locator('#dead-letters tbody tr').count()).toBe(0);
      await page.close();
    });

    it('asks for a key, refuses a wrong one, and triggers a job from the page', async () => {
      const page = await openPage('/');
      await page.waitForSelector('#login:not([hidden])');
      await page.fill('#key-input', 'wrong-key');
      await page.click('#login-form button[type="submit"]');
      await expect.poll(() => page.locator('#login-error').textContent()).toContain('not accepted');
      expect(await page.evaluate('sessionStorage.getItem("scheduler.apiKey")')).toBeNull();

      await page.fill('#key-input', API_KEY);
      await page.click('#login-form button[type="submit"]');
      await page.waitForSelector('body[data-loaded="true"]');
      const before = sink.calls.filter((c) => c.path === '/report').length;
      await page.click(`#jobs button.trigger[data-job-id="${jobs.daily}"]`);
      await waitFor(
        () => sink.calls.filter((c) => c.path === '/report').length === before + 1,
        5000,
        'the triggered call',
      );
      await expect.poll(() => page.locator('#toast').textContent()).toContain('Triggered');
      await page.close();
    });

    it('ran without script errors or CSP violations', () => {
      // 401 answers to the wrong key are logged by the browser as failed loads; nothing else may be.
      expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
    });
  });
}
