import { describe, expect, it } from 'vitest';
import { decodeCursorJson, encodeCursorJson } from '../../../lambdas/core/cursor.js';
import { InvalidCursor } from '../../../lambdas/core/errors.js';

describe('cursor', () => {
  it('carries JSON as base64url, and back', () => {
    const cursor = encodeCursorJson({ jobId: 'job_X', scheduledAt: '2026-03-08T07:00:00.000Z' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursorJson(cursor)).toEqual({ jobId: 'job_X', scheduledAt: '2026-03-08T07:00:00.000Z' });
  });

  it('refuses text that is not base64url JSON with InvalidCursor', () => {
    expect(() => decodeCursorJson('not json')).toThrow(InvalidCursor);
    expect(() => decodeCursorJson(Buffer.from('{"a":', 'utf8').toString('base64url'))).toThrow(InvalidCursor);
  });
});
