/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by package or source area and
 * the hottest functions. Usage: `npx tsx bench/hotspots.ts <file.cpuprofile> [top]`.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** `dynalite`, `@aws-sdk/…`, `lambdas/services`, `(gc)`, `node:internal` … */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = url.slice(modules + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const repo = url.match(/\/(lambdas\/[^/]+|local|bench|schemas)\//);
  return repo ? repo[1]! : url;
}

export function hotspots(profile: Profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const totalUs = [...self.values()].reduce((a, b) => a + b, 0);
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const name = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '')}:${lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 1000),
        pct: Math.round((1000 * us) / totalUs) / 10,
      }));
  return { totalMs: Math.round(totalUs / 1000), areas: rank(areas), functions: rank(functions) };
}

if (process.argv[1]?.endsWith('hotspots.ts')) {
  const [file, top] = process.argv.slice(2);
  if (top !== undefined && !Number.isFinite(Number(top))) {
    process.stderr.write('usage: tsx bench/hotspots.ts <file.cpuprofile> [top]  (one profile at a time)\n');
    process.exit(2);
  }
  if (!file) {
    process.stderr.write('usage: tsx bench/hotspots.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  const summary = hotspots(JSON.parse(readFileSync(file, 'utf8')) as Profile, Number(top ?? 25));
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
}
