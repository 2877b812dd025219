import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type SchedulerSettings, settingsFrom } from '../../lib/constructs/settings.js';
import { cdkJsonContext } from '../../lib/synth-report.js';

const settingsOf = (context: Record<string, unknown>) => settingsFrom(new App({ context }).node);

describe('deployment settings', () => {
  it('cdk.json states every default of the code, so the two cannot drift apart', () => {
    const context = cdkJsonContext();
    for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) {
      expect(context[key], key).toEqual(value);
    }
    // The optional settings are listed (empty) too, so cdk.json is the full list of options.
    for (const key of ['alarmEmail', 'jwtIssuer', 'jwtAudience', 'sesIdentity', 'emailFrom']) {
      expect(context[key], key).toBe('');
    }
    expect(settingsOf(context)).toEqual(DEFAULT_SETTINGS);
  });

  it('docs/deploy.md documents every option of cdk.json with its default', () => {
    const doc = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8');
    const options = Object.entries(cdkJsonContext()).filter(([key]) => !key.includes(':'));
    expect(options.length).toBeGreaterThan(10);
    for (const [key, value] of options) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${key}\` |`));
      expect(row, key).toBeDefined();
      const shown =
        value === '' ? '*(empty)*' : `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;
      expect(row, key).toContain(`| ${shown} |`);
    }
  });

  it('reads -c values, which arrive as strings, including JSON objects and comma lists', () => {
    const settings: SchedulerSettings = settingsOf({
      shards: '32',
      executorConcurrency: '{"high":100}',
      retainData: 'false',
      jwtIssuer: 'https://id.example.com',
      jwtAudience: 'a, b',
    });
    expect(settings).toMatchObject({
      shards: 32,
      executorConcurrency: { high: 100, normal: 20, low: 5 },
      retainData: false,
      jwtAudience: ['a', 'b'],
    });
  });

  it.each([
    [{ shards: 0 }, /shards must be an integer from 1 to 300/],
    [{ shards: 301 }, /shards must be an integer from 1 to 300/],
    [{ watchersEnabled: 'no' }, /watchersEnabled must be true or false/],
    [{ lookaheadSeconds: 30 }, /lookaheadSeconds must be an integer from 60 to 900/],
    [{ executorConcurrency: { low: 1 } }, /executorConcurrency\.low must be an integer from 2 to 1000/],
    [{ logRetentionDays: 10 }, /logRetentionDays must be one of/],
    [{ jwtIssuer: 'https://id.example.com' }, /jwtAudience is required with jwtIssuer/],
    [{ jwtIssuer: 'http://id.example.com', jwtAudience: 'a' }, /jwtIssuer must be an https:\/\/ URL/],
    [{ emailFrom: 'a@example.com' }, /emailFrom needs sesIdentity/],
    [{ retainData: 'yes' }, /retainData must be true or false/],
  ])('refuses %j with a message naming the key', (context, message) => {
    expect(() => settingsOf(context)).toThrow(message);
  });
});
