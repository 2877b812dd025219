import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { SchedulerFunction } from '../../lib/constructs/function.js';

// The one test that bundles for real: local esbuild, no Docker, one ESM file per function.
describe('function bundling', () => {
  it('bundles a handler with the local esbuild into a single ESM file that can require CommonJS', () => {
    const app = new App({ stackTraces: false, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Bundling');
    new SchedulerFunction(
      stack,
      'Watcher',
      { environment: {} },
      { name: 'watcher', description: 'bundling test' },
    );
    const assembly = app.synth();
    const assets = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const files = readdirSync(join(assembly.directory, assets[0]!));
    expect(files.sort()).toEqual(['index.mjs', 'index.mjs.map']);
    const code = readFileSync(join(assembly.directory, assets[0]!, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire } from 'node:module';")).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    rmSync(assembly.directory, { recursive: true, force: true });
  }, 60_000);
});
