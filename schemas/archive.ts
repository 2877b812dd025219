import { z } from 'zod';
import { Execution } from './execution.js';

/**
 * One line of an archive object (gzip JSON Lines): the public Execution resource as the API
 * returned it while the execution was hot, plus its tenant. The Glue table's columns are these
 * fields (lower-cased by Athena); `tenant`, `job` and `date` are also the partition keys in the path.
 */
export const ArchiveRow = z.object({ ...Execution.shape, tenant: z.string() });
export type ArchiveRow = z.infer<typeof ArchiveRow>;
