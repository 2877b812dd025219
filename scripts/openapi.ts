/**
 * Writes docs/openapi.json from the zod schemas (`npm run openapi`). The output is stable
 * (2-space JSON, trailing newline) so the committed file diffs cleanly and a test can tell
 * when it is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '../lambdas/api/openapi.js';

export const OPENAPI_PATH = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));

export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OPENAPI_PATH, openApiText());
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
}
