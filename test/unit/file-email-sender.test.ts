import { describe, expect, it } from 'vitest';
import { renderEml } from '../../lambdas/adapters/file-email-sender.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');

describe('renderEml', () => {
  it('writes an RFC 5322 message a mail client opens', () => {
    const eml = renderEml(
      { to: 'team@example.com', subject: '[scheduler] résumé: dead', text: 'line 1\nline 2', id: 'x#dead' },
      'scheduler@localhost',
      NOW,
    );
    const [head, body] = eml.split('\r\n\r\n');
    const headers = head!.split('\r\n');
    expect(headers).toEqual(
      expect.arrayContaining([
        'From: scheduler@localhost',
        'To: team@example.com',
        `Subject: =?UTF-8?B?${Buffer.from('[scheduler] résumé: dead').toString('base64')}?=`,
        'Date: Fri, 01 May 2026 12:00:00 +0000',
        'Content-Type: text/plain; charset=utf-8',
        'MIME-Version: 1.0',
      ]),
    );
    expect(headers.find((h) => h.startsWith('Message-ID: '))).toMatch(
      /^Message-ID: <[0-9a-f]{32}@scheduler\.local>$/,
    );
    expect(body).toBe('line 1\r\nline 2\r\n');
  });
});
