import { describe, expect, it } from 'vitest';
import { isAllowedHost, parseAllowedHosts } from '../../local/allowed-hosts.js';

describe('local server Host check (DNS rebinding)', () => {
  const listed = parseAllowedHosts(' scheduler.test , Dev-Box.corp.example,10.1.2.3 ');

  it.each([
    ['127.0.0.1:3000', true],
    ['127.8.9.10', true],
    ['localhost:3000', true],
    ['LOCALHOST', true],
    ['app.localhost:3000', true],
    ['[::1]:3000', true],
    ['[0:0:0:0:0:0:0:1]', true],
    ['scheduler.test:3000', true],
    ['dev-box.corp.example', true],
    ['10.1.2.3:3000', true],
    ['evil.example', false],
    ['evil.example:3000', false],
    ['localhost.evil.example', false],
    ['127.0.0.1.evil.example', false],
    ['scheduler.test.evil.example', false],
    ['10.1.2.4', false],
    ['0.0.0.0:3000', false],
    ['[::2]', false],
    ['', false],
    ['127.0.0.1:3000:3000', false],
    ['127.0.0.1@evil.example', false],
  ])('Host %j → %s', (host, expected) => {
    expect(isAllowedHost(host, listed)).toBe(expected);
  });

  it('refuses a request without a Host header', () => {
    expect(isAllowedHost(undefined, listed)).toBe(false);
  });

  it('answers only loopback names when nothing is listed', () => {
    const none = parseAllowedHosts('');
    expect(isAllowedHost('127.0.0.1:3000', none)).toBe(true);
    expect(isAllowedHost('scheduler.test', none)).toBe(false);
  });

  it.each(['http://scheduler.test', 'scheduler.test:3000', 'a b', 'x/y'])(
    'refuses the setting entry %j at startup',
    (entry) => {
      expect(() => parseAllowedHosts(entry)).toThrow(/SCHEDULER_ALLOWED_HOSTS entry/);
    },
  );
});
