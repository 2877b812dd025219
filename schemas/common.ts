import { z } from 'zod';

/** ISO-8601 instant with an offset; normalised to UTC milliseconds by the API. */
export const IsoInstant = z.iso.datetime({
  offset: true,
  precision: undefined,
  message: 'must be an ISO-8601 timestamp',
});

export const JobId = z.string().regex(/^job_[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a job id like job_01J…');

/** `<jobId>:<scheduled instant>`, the instant exactly as the API writes timestamps. */
export const ExecutionId = z
  .string()
  .regex(
    /^job_[0-9A-HJKMNP-TV-Z]{26}:\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
    'must be an execution id like job_01J…:2026-03-08T07:00:00.000Z',
  )
  .refine((id) => {
    const instant = id.slice(id.indexOf(':') + 1);
    const at = Date.parse(instant);
    return !Number.isNaN(at) && new Date(at).toISOString() === instant;
  }, 'names an instant that does not exist');

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
