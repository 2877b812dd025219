import { z } from 'zod';

/** ISO-8601 instant with an offset; normalised to UTC milliseconds by the API. */
export const IsoInstant = z.iso.datetime({
  offset: true,
  precision: undefined,
  message: 'must be an ISO-8601 timestamp',
});

export const JobId = z.string().regex(/^job_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a job id like job_01J…');

export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error' });

export function listOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).meta({ id });
}
