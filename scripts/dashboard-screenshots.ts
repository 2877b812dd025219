/**
 * Takes the README's dashboard screenshots (`npm run docs:screenshots`): starts the local runtime
 * on a temporary data directory with a few jobs calling a local sink, lets them run for a while,
 * and captures the page in the system Chromium.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchedulerClient } from '../client/index.js';
import { consoleLogger } from '../local/logger.js';
import { startLocalRuntime } from '../local/runtime.js';
import { hasChromium, launchChromium } from '../test/support/browser.js';
import { startSink } from '../test/support/sink.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const OUT = fileURLToPath(new URL('../docs/img/', import.meta.url));
const RUN_FOR_MS = Number(process.env.SCREENSHOT_RUN_SECONDS ?? 40) * 1000;

if (!hasChromium()) {
  process.stderr.write('needs Chromium at /usr/bin/chromium (apt-get install chromium) or CHROMIUM_PATH\n');
  process.exit(1);
}

const dataDir = mkdtempSync(join(tmpdir(), 'scheduler-screens-'));
const sink = await startSink();
sink.respond((call) =>
  call.path.startsWith('/fail')
    ? { status: 503 }
    : { status: 200, delayMs: call.path.startsWith('/slow') ? 150 + Math.floor(Math.random() * 250) : 20 },
);
const runtime = await startLocalRuntime({
  port: 0,
  dataDir,
  apiKeys: new Map([['dev-key', 'default']]),
  shards: 4,
  watchIntervalMs: 5000,
  targetAllowlist: ['127.0.0.0/8', '::1'],
  log: consoleLogger('error'),
});
try {
  const client = new SchedulerClient({ endpoint: runtime.url, apiKey: 'dev-key' });
  await client.createJob({
    name: 'nightly-report',
    schedule: { type: 'cron', expression: '30 2 * * *', timezone: 'America/New_York' },
    target: { url: `${sink.url}/report`, body: '{"report":"daily"}' },
  });
  const heartbeat = await client.createJob({
    name: 'heartbeat',
    schedule: { type: 'rate', everySeconds: 3 },
    target: { url: `${sink.url}/ping`, method: 'GET' },
  });
  await client.createJob({
    name: 'cache-warmup',
    schedule: { type: 'cron', expression: '*/5 * * * * *' },
    target: { url: `${sink.url}/slow/warm` },
  });
  await client.createJob({
    name: 'partner-webhook',
    schedule: { type: 'immediate' },
    target: { url: `${sink.url}/fail/partner`, body: '{"event":"invoice.paid"}' },
    retry: { maxAttempts: 3, initialDelaySeconds: 0.5, maxDelaySeconds: 1 },
  });
  await new Promise((resolve) => setTimeout(resolve, RUN_FOR_MS));
  await client.triggerJob(heartbeat.id);

  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    await page.goto(`${runtime.url}/?key=dev-key`);
    await page.waitForSelector('body[data-loaded="true"]');
    await page.click(`#jobs tr[data-job-id="${heartbeat.id}"]`);
    await page.waitForSelector('#timeline svg circle');
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });
    await page.locator('#dead-panel').screenshot({ path: join(OUT, 'dashboard-dead-letters.png') });
    await page.goto(`${runtime.url}/`);
    await page.evaluate('sessionStorage.clear()');
    await page.reload();
    await page.waitForSelector('#login:not([hidden])');
    await page.screenshot({
      path: join(OUT, 'dashboard-login.png'),
      clip: { x: 0, y: 0, width: 1280, height: 260 },
    });
  } finally {
    await browser.close();
  }
  process.stdout.write(`screenshots written to ${OUT}\n`);
} finally {
  await runtime.stop();
  await sink.close();
  rmSync(dataDir, { recursive: true, force: true });
}
