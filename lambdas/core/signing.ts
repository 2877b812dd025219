import { createHmac, timingSafeEqual } from 'node:crypto';

/** `t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` — the `X-Scheduler-Signature` header. */
export function signatureHeader(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** Verifies a signature header against any of the secrets, within `toleranceSeconds` of `nowSeconds`. */
export function verifySignature(
  header: string,
  body: string,
  secrets: string[],
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = Object.fromEntries(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at).trim(), part.slice(at + 1).trim()];
    }),
  );
  const t = Number(parts.t);
  const given = parts.v1;
  if (!Number.isInteger(t) || typeof given !== 'string' || Math.abs(nowSeconds - t) > toleranceSeconds)
    return false;
  return secrets.some((secret) => {
    const expected = signatureHeader(secret, t, body).split('v1=')[1] ?? '';
    return expected.length === given.length && timingSafeEqual(Buffer.from(expected), Buffer.from(given));
  });
}

/** `tenant=secret1|secret2,other=secret` */
export function parseSigningSecrets(value: string | undefined): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const pair of (value ?? '').split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    result[pair.slice(0, at).trim()] = pair
      .slice(at + 1)
      .split('|')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  return result;
}
