import { createHash, timingSafeEqual } from 'node:crypto';

/** What the execution stores of its callback token: the token itself leaves only in the target's request. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Whether `token` is the one whose hash the execution holds, compared in constant time. */
export function tokenMatches(token: string | undefined, hash: string | undefined): boolean {
  if (!token || !hash) return false;
  const given = Buffer.from(hashToken(token));
  const stored = Buffer.from(hash);
  return given.length === stored.length && timingSafeEqual(given, stored);
}
