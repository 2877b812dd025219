import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkStructure,
  MAX_FILE_LINES,
  MAX_FUNCTION_LINES,
  MAX_TEST_FILE_LINES,
} from '../../scripts/structure-check.js';

const report = checkStructure(resolve(import.meta.dirname, '../..'));

describe('structure-check', () => {
  it(`keeps every source file under lambdas/, local/, lib/, client/, cli/ and schemas/ within ${MAX_FILE_LINES} lines (the OpenAPI document aside)`, () => {
    expect(report.longFiles).toEqual([]);
  });

  it(`keeps every function within ${MAX_FUNCTION_LINES} lines (CDK constructs and the OpenAPI document aside)`, () => {
    expect(report.longFunctions).toEqual([]);
  });

  it(`keeps every test file within ${MAX_TEST_FILE_LINES} lines`, () => {
    expect(report.longTestFiles).toEqual([]);
  });

  it('keeps the core pure: no AWS SDK, Powertools, middy, Node built-in but crypto, service, adapter or local module', () => {
    expect(report.coreImports).toEqual([]);
  });

  it('leaves no module under lambdas/ that production code never imports (handlers are the entry points)', () => {
    expect(report.unimported).toEqual([]);
  });

  it('reports each kind of fault in a tree that has them', () => {
    const root = mkdtempSync(join(tmpdir(), 'structure-'));
    try {
      const write = (path: string, text: string) => {
        mkdirSync(join(root, path, '..'), { recursive: true });
        writeFileSync(join(root, path), text);
      };
      const body = Array.from({ length: MAX_FUNCTION_LINES }, (_, i) => `  const v${i} = ${i};`).join('\n');
      write(
        'lambdas/core/pure.ts',
        "import { Store } from '../adapters/store.js';\nexport const x = Store;\n",
      );
      write('lambdas/adapters/store.ts', `export const Store = 1;\nexport function long() {\n${body}\n}\n`);
      write('lambdas/services/orphan.ts', 'export const y = 2;\n');
      write('lambdas/api/handler.ts', "import { x } from '../core/pure.js';\nexport const handler = x;\n");
      write('test/unit/big.test.ts', `${'// line\n'.repeat(MAX_TEST_FILE_LINES + 1)}`);
      write('local/big.ts', `${'// line\n'.repeat(MAX_FILE_LINES + 1)}`);
      const faults = checkStructure(root);
      expect(faults.coreImports).toEqual(['lambdas/core/pure.ts imports ../adapters/store.js']);
      expect(faults.longFunctions).toEqual([
        `lambdas/adapters/store.ts:2 long (${MAX_FUNCTION_LINES + 2} lines)`,
      ]);
      expect(faults.longFiles).toEqual([`local/big.ts (${MAX_FILE_LINES + 1} lines)`]);
      expect(faults.longTestFiles).toEqual([`test/unit/big.test.ts (${MAX_TEST_FILE_LINES + 1} lines)`]);
      expect(faults.unimported).toEqual(['lambdas/services/orphan.ts']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
