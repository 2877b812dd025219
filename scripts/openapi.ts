/**
 * Writes docs/openapi.json from the zod schemas and docs/openapi.d.ts from it with openapi-typescript
 * (`npm run openapi`). Both are stable (2-space JSON with a trailing newline; the generator's own
 * output, as `npx openapi-typescript` writes it) so they diff cleanly and a test can tell when
 * either is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from 'openapi-typescript';
import { openApiDocument } from '../lambdas/api/openapi.js';

export const OPENAPI_PATH = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));
export const OPENAPI_TYPES_PATH = fileURLToPath(new URL('../docs/openapi.d.ts', import.meta.url));

export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

/** TypeScript types of the document, with openapi-typescript's default options (what users get). */
export async function openApiTypesText(document: object = openApiDocument()): Promise<string> {
  return `${COMMENT_HEADER}${astToString(await openapiTS(document as OpenAPI3, { silent: true }))}`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(OPENAPI_PATH, openApiText());
  writeFileSync(OPENAPI_TYPES_PATH, await openApiTypesText());
  process.stdout.write(`wrote ${OPENAPI_PATH}\nwrote ${OPENAPI_TYPES_PATH}\n`);
}
