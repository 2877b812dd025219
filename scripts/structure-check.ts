/**
 * The shape the code keeps (issue 16), measured from the source: no source file over 400 lines, no
 * function over 80, no test file over 500, a pure core, and no module under lambdas/ that production
 * code never imports.
 * test/unit/structure-check.test.ts asserts that each list is empty; `npx tsx scripts/structure-check.ts`
 * prints them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const MAX_FILE_LINES = 400;
export const MAX_FUNCTION_LINES = 80;
export const MAX_TEST_FILE_LINES = 500;

/** Where production source lives; tests and benchmarks are measured elsewhere. */
const SOURCE_DIRS = ['lambdas', 'local', 'lib', 'client', 'cli', 'schemas'];
/** Production code that may import a lambdas/ module (the CLI tools under scripts/ included). */
const PRODUCTION_DIRS = [...SOURCE_DIRS, 'bin', 'scripts'];
/** Declarative by nature: the OpenAPI document, and CDK constructs (whose bodies are resource lists). */
const LONG_FILE_EXEMPT = ['lambdas/api/openapi.ts'];
const LONG_FUNCTION_EXEMPT = ['lambdas/api/openapi.ts', 'lib/constructs/', 'lib/scheduler-stack.ts'];
/** What the pure core may not import: the AWS SDK and the layers above it. */
const CORE_FORBIDDEN = [/^@aws-sdk\//, /^@aws-lambda-powertools\//, /^@middy\//, /^node:/];
const CORE_FORBIDDEN_DIRS = ['lambdas/adapters/', 'lambdas/services/', 'lambdas/composition/', 'local/'];
/** Node built-ins the core may use: hashing is pure. */
const CORE_ALLOWED_NODE = new Set(['node:crypto']);

export interface StructureReport {
  longFiles: string[];
  longFunctions: string[];
  longTestFiles: string[];
  coreImports: string[];
  unimported: string[];
}

function sourceFiles(root: string, dirs: string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) files.push(relative(root, path));
    }
  };
  for (const dir of dirs) walk(join(root, dir));
  return files.sort();
}

function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function parse(root: string, file: string): ts.SourceFile {
  return ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.ES2022, true);
}

function lineOf(source: ts.SourceFile, position: number): number {
  return source.getLineAndCharacterOfPosition(position).line + 1;
}

function nameOf(node: ts.Node): string {
  const named = node as { name?: ts.Node };
  if (named.name && ts.isIdentifier(named.name)) return named.name.text;
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '(anonymous)';
}

function longFunctions(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && (node as ts.FunctionLikeDeclaration).body) {
      const start = lineOf(source, node.getStart(source));
      const lines = lineOf(source, node.getEnd()) - start + 1;
      if (lines > MAX_FUNCTION_LINES)
        found.push(`${source.fileName}:${start} ${nameOf(node)} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function importsOf(source: ts.SourceFile): string[] {
  const specifiers: string[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

/** The repository file a relative specifier names (`./x.js` is `./x.ts`), or null for a package. */
function resolveImport(root: string, from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  const target = resolve(root, dirname(from), specifier).replace(/\.js$/, '.ts');
  return relative(root, target);
}

/** Lambda entry points: the CDK stack names them by path (lib/constructs), nothing imports them. */
function isEntryPoint(file: string): boolean {
  return /^lambdas\/[^/]+\/handler\.ts$/.test(file);
}

export function checkStructure(root: string): StructureReport {
  const sources = sourceFiles(root, SOURCE_DIRS);
  const production = sourceFiles(root, PRODUCTION_DIRS);
  const report: StructureReport = {
    longFiles: [],
    longFunctions: [],
    longTestFiles: [],
    coreImports: [],
    unimported: [],
  };
  const imported = new Set<string>();
  for (const file of production) {
    const source = parse(root, file);
    for (const specifier of importsOf(source)) {
      const target = resolveImport(root, file, specifier);
      if (target && target !== file) imported.add(target);
      if (!file.startsWith('lambdas/core/')) continue;
      const forbiddenPackage =
        CORE_FORBIDDEN.some((pattern) => pattern.test(specifier)) && !CORE_ALLOWED_NODE.has(specifier);
      const forbiddenDir = target !== null && CORE_FORBIDDEN_DIRS.some((dir) => target.startsWith(dir));
      if (forbiddenPackage || forbiddenDir) report.coreImports.push(`${file} imports ${specifier}`);
    }
    if (!sources.includes(file)) continue;
    const lines = lineCount(source.text);
    if (lines > MAX_FILE_LINES && !LONG_FILE_EXEMPT.includes(file)) {
      report.longFiles.push(`${file} (${lines} lines)`);
    }
    if (!LONG_FUNCTION_EXEMPT.some((exempt) => file.startsWith(exempt))) {
      report.longFunctions.push(...longFunctions(source));
    }
  }
  for (const file of sourceFiles(root, ['test'])) {
    const lines = lineCount(readFileSync(join(root, file), 'utf8'));
    if (lines > MAX_TEST_FILE_LINES) report.longTestFiles.push(`${file} (${lines} lines)`);
  }
  report.unimported = production.filter(
    (file) => file.startsWith('lambdas/') && !imported.has(file) && !isEntryPoint(file),
  );
  return report;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const report = checkStructure(resolve(import.meta.dirname, '..'));
  for (const [name, list] of Object.entries(report)) {
    process.stdout.write(`${name}: ${list.length}\n${list.map((line: string) => `  ${line}\n`).join('')}`);
  }
}
