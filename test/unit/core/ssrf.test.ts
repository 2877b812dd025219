import { describe, expect, it } from 'vitest';
import {
  checkAddress,
  checkResolved,
  checkTargetUrl,
  EMPTY_ALLOWLIST,
  formatIp,
  isTargetRefusal,
  parseAllowlist,
  parseCidr,
  parseIp,
  refusalMessage,
} from '../../../lambdas/core/ssrf.js';

describe('ssrf', () => {
  describe('parseIp', () => {
    it.each([
      ['127.0.0.1', '127.0.0.1'],
      ['::1', '::1'],
      ['[::1]', '::1'],
      ['::', '::'],
      ['fe80::1', 'fe80::1'],
      ['::ffff:10.0.0.5', '::ffff:a00:5'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ])('%s parses', (text, formatted) => {
      const ip = parseIp(text);
      expect(ip).not.toBeNull();
      expect(formatIp(ip!)).toBe(formatted);
    });

    it.each([
      '256.0.0.1',
      '1.2.3',
      '01.2.3.4',
      '1.2.3.4.5',
      'example.com',
      ':::1',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7::8',
      '12345::1',
      '::ffff:1.2.3',
      '',
    ])('%s is not an address', (text) => {
      expect(parseIp(text)).toBeNull();
    });
  });

  describe('checkAddress', () => {
    it.each([
      ['127.0.0.1', 'loopback'],
      ['127.255.255.254', 'loopback'],
      ['0.0.0.0', 'unspecified'],
      ['10.0.0.5', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['100.64.0.1', 'carrier-grade NAT'],
      ['100.100.100.200', 'carrier-grade NAT'],
      ['169.254.169.254', 'link-local (cloud metadata)'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'],
      ['198.18.0.1', 'benchmarking'],
      ['192.0.2.10', 'documentation'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'link-local'],
      ['fd00:ec2::254', 'unique-local'],
      ['fc00::1', 'unique-local'],
      ['ff02::1', 'multicast'],
      ['::ffff:127.0.0.1', 'loopback (127.0.0.1 inside IPv6)'],
      ['::ffff:169.254.169.254', 'link-local (cloud metadata) (169.254.169.254 inside IPv6)'],
      ['64:ff9b::10.1.2.3', 'private (10.1.2.3 inside IPv6)'],
      ['2002:0a00:0001::1', 'private (10.0.0.1 inside IPv6)'],
      ['::127.0.0.1', 'IPv4-compatible'],
      ['2001::1', 'Teredo'],
    ])('%s is refused: %s', (address, reason) => {
      const verdict = checkAddress(address, EMPTY_ALLOWLIST);
      expect(verdict.allowed).toBe(false);
      expect(!verdict.allowed && verdict.reason).toContain(reason);
      expect(!verdict.allowed && verdict.reason.startsWith(`${address} is `)).toBe(true);
    });

    it.each([
      '8.8.8.8',
      '93.184.216.34',
      '172.32.0.1',
      '172.15.255.255',
      '100.128.0.1',
      '169.255.0.1',
      '2606:4700:4700::1111',
      '::ffff:8.8.8.8',
      '64:ff9b::8.8.8.8',
    ])('%s is public and allowed', (address) => {
      expect(checkAddress(address, EMPTY_ALLOWLIST)).toEqual({ allowed: true });
    });

    it('refuses what is not an address at all', () => {
      expect(checkAddress('example.com', EMPTY_ALLOWLIST)).toEqual({
        allowed: false,
        reason: 'example.com is not an IP address',
      });
    });
  });

  describe('parseAllowlist', () => {
    it('opens the CIDRs it names, and only those', () => {
      const allowlist = parseAllowlist(['10.1.0.0/16', 'fd00::/8', '192.168.7.7']);
      expect(checkAddress('10.1.2.3', allowlist).allowed).toBe(true);
      expect(checkAddress('10.2.0.1', allowlist).allowed).toBe(false);
      expect(checkAddress('fd12::1', allowlist).allowed).toBe(true);
      expect(checkAddress('192.168.7.7', allowlist).allowed).toBe(true);
      expect(checkAddress('192.168.7.8', allowlist).allowed).toBe(false);
    });

    it('matches IPv4-mapped IPv6 addresses against IPv4 entries', () => {
      const allowlist = parseAllowlist(['127.0.0.0/8', '::1']);
      expect(checkAddress('::ffff:127.0.0.1', allowlist).allowed).toBe(true);
      expect(checkAddress('::1', allowlist).allowed).toBe(true);
      expect(checkAddress('::ffff:10.0.0.1', allowlist).allowed).toBe(false);
    });

    it('takes exact host names and *.suffix names, case and trailing dot aside', () => {
      const allowlist = parseAllowlist(['Billing.Internal', '*.corp.example.com']);
      expect(checkTargetUrl('http://billing.internal./x', allowlist).allowed).toBe(true);
      expect(checkTargetUrl('http://a.b.corp.example.com/x', allowlist).allowed).toBe(true);
      expect(checkTargetUrl('http://corp.example.com/x', allowlist).allowed).toBe(true);
      expect(checkResolved('api.corp.example.com', ['10.0.0.5'], allowlist).allowed).toBe(true);
      expect(checkResolved('evilcorp.example.com', ['10.0.0.5'], allowlist).allowed).toBe(false);
    });

    it.each(['10.0.0.0/33', 'not a host', '1.2.3', 'http://x.example.com', '-bad.example.com'])(
      'rejects the entry %s',
      (entry) => {
        expect(() => parseAllowlist([entry])).toThrow(/neither a CIDR nor a host name/);
      },
    );

    it('parses the local default', () => {
      const allowlist = parseAllowlist(['127.0.0.0/8', '::1', '']);
      expect(allowlist.cidrs).toHaveLength(2);
      expect(parseCidr('[fd00::]/8')?.bits).toBe(8);
      expect(parseAllowlist(['[::1]']).cidrs).toHaveLength(1);
    });
  });

  describe('checkTargetUrl (create time)', () => {
    it.each([
      ['http://127.0.0.1:8080/hook', '127.0.0.1 is loopback'],
      ['http://2130706433/', '127.0.0.1 is loopback'],
      ['http://0x7f.1/', '127.0.0.1 is loopback'],
      ['http://[::1]/', '::1 is loopback'],
      ['http://[::ffff:169.254.169.254]/latest/meta-data', 'link-local (cloud metadata)'],
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is link-local (cloud metadata)'],
      ['https://10.0.0.5/x', '10.0.0.5 is private'],
      ['http://0.0.0.0:80/', '0.0.0.0 is unspecified'],
      ['http://localhost:3000/', 'localhost is a local host name'],
      ['http://LOCALHOST./', 'localhost is a local host name'],
      ['http://app.localhost/', 'app.localhost is a local host name'],
      [
        'http://metadata.google.internal/computeMetadata/v1/',
        'metadata.google.internal is a local host name',
      ],
      ['http://printer.local/', 'printer.local is a local host name'],
      ['http://redis:6379/', 'redis is a single-label host name'],
      ['ftp://example.com/x', 'scheme ftp is not http or https'],
      ['file:///etc/passwd', 'scheme file is not http or https'],
      ['http://user:secret@example.com/', 'credentials in the URL are not accepted'],
      ['not a url', 'cannot be parsed'],
    ])('%s is refused (%s)', (url, reason) => {
      const verdict = checkTargetUrl(url, EMPTY_ALLOWLIST);
      expect(verdict.allowed).toBe(false);
      expect(!verdict.allowed && verdict.reason).toContain(reason);
    });

    it.each([
      'https://example.com/hook',
      'http://93.184.216.34/x',
      'https://[2606:4700::1]/',
      'http://a.b.c.d.e/',
    ])('%s is allowed (a name is checked again at call time)', (url) => {
      expect(checkTargetUrl(url, EMPTY_ALLOWLIST)).toEqual({ allowed: true });
    });

    it('lets the allowlist open a literal address or a local name', () => {
      const allowlist = parseAllowlist(['127.0.0.0/8', 'localhost']);
      expect(checkTargetUrl('http://127.0.0.1:9000/', allowlist).allowed).toBe(true);
      expect(checkTargetUrl('http://localhost:9000/', allowlist).allowed).toBe(true);
      expect(checkTargetUrl('http://10.0.0.1/', allowlist).allowed).toBe(false);
    });
  });

  describe('checkResolved (call time)', () => {
    it('refuses a name when any address it resolves to is not public', () => {
      const verdict = checkResolved('rebind.example.com', ['93.184.216.34', '10.0.0.5'], EMPTY_ALLOWLIST);
      expect(verdict).toEqual({
        allowed: false,
        reason: 'rebind.example.com resolves to 10.0.0.5, which is private',
      });
    });

    it('allows a name whose addresses are all public', () => {
      expect(
        checkResolved('example.com', ['93.184.216.34', '2606:2800:220:1::1'], EMPTY_ALLOWLIST).allowed,
      ).toBe(true);
    });

    it('refuses a name that resolved to nothing', () => {
      expect(checkResolved('example.com', [], EMPTY_ALLOWLIST).allowed).toBe(false);
    });
  });

  it('marks refusals so the executor does not retry them', () => {
    expect(isTargetRefusal(refusalMessage('10.0.0.5 is private'))).toBe(true);
    expect(isTargetRefusal('network error: ECONNREFUSED')).toBe(false);
    expect(isTargetRefusal(null)).toBe(false);
  });
});
