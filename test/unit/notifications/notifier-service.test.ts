import { describe, expect, it } from 'vitest';
import { verifySignature } from '../../../lambdas/core/signing.js';
import { notificationTo, notifierAt } from '../../support/notification-fixtures.js';

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const HOOK = 'https://hooks.example.com/scheduler';

describe('NotifierService', () => {
  it('posts the payload to a webhook, signed with the tenant’s secret like a target call', async () => {
    const n = notifierAt(NOW);
    const result = await n.service.deliver(notificationTo({ webhook: HOOK }), 2);
    expect(result).toEqual({ delivered: true });
    const [request] = n.http.requests;
    expect(request).toMatchObject({ url: HOOK, method: 'POST' });
    expect(JSON.parse(request!.body!)).toEqual(notificationTo({ webhook: HOOK }).payload);
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'x-scheduler-event': 'dead',
      'x-scheduler-notification-id': 'job_x:2026-05-01T12:00:00.000Z#dead',
      'x-scheduler-delivery-attempt': '2',
    });
    const signature = request!.headers['x-scheduler-signature']!;
    expect(verifySignature(signature, request!.body!, ['tenant-secret'], NOW / 1000)).toBe(true);
    expect(verifySignature(signature, `${request!.body} `, ['tenant-secret'], NOW / 1000)).toBe(false);
  });

  it('reports a receiver’s failure instead of throwing', async () => {
    const n = notifierAt(NOW);
    n.http.answer = () => ({ kind: 'response', statusCode: 500, body: '', durationMs: 1 });
    expect(await n.service.deliver(notificationTo({ webhook: HOOK }), 1)).toEqual({
      delivered: false,
      error: 'HTTP 500',
    });
    n.email.failNext = 1;
    expect(await n.service.deliver(notificationTo({ email: 'team@example.com' }), 1)).toEqual({
      delivered: false,
      error: 'injected mail failure',
    });
  });

  it('mails a summary with the JSON payload', async () => {
    const n = notifierAt(NOW);
    await n.service.deliver(notificationTo({ email: 'team@example.com' }), 1);
    const [mail] = n.email.sent;
    expect(mail).toMatchObject({
      to: 'team@example.com',
      subject: '[scheduler] nightly: dead',
      id: 'job_x:2026-05-01T12:00:00.000Z#dead',
    });
    expect(mail!.text).toContain('Status:     dead after 3 attempts');
    expect(mail!.text).toContain('Error:      HTTP 503');
    expect(mail!.text).toContain('"event": "dead"');
  });
});
