/**
 * What the stack is made of, without bundling or credentials:
 *
 *   npx tsx bin/synth-report.ts [-c key=value ...]
 *
 * Prints the resource counts by CloudFormation type, every cdk-nag acknowledgement with its
 * reason, and any finding left unacknowledged (exit code 1 if one is an error).
 */
import {
  acknowledgementsIn,
  nagFindings,
  resourceCounts,
  synthesizeForInspection,
} from '../lib/synth-report.js';

const context: Record<string, unknown> = {};
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  if (args[i] !== '-c') continue;
  const [key, ...value] = (args[++i] ?? '').split('=');
  if (key) context[key] = value.join('=');
}

const { app, stack } = synthesizeForInspection(context);
app.synth();
const counts = resourceCounts(stack);
const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
console.log(`| resource type | count |\n|---|---|`);
for (const [type, count] of Object.entries(counts)) console.log(`| ${type} | ${count} |`);
console.log(`| **total** | **${total}** |\n`);

const acknowledgements = acknowledgementsIn(app);
console.log(`${acknowledgements.length} cdk-nag acknowledgements:\n`);
console.log('| finding | where | reason |\n|---|---|---|');
for (const ack of acknowledgements) {
  console.log(`| ${ack.id} | ${ack.path} | ${ack.reason} |`);
}

const findings = nagFindings(app);
console.log(`\n${findings.length} unacknowledged cdk-nag findings`);
for (const finding of findings)
  console.log(`${finding.severity} ${finding.rule}: ${finding.paths.join(', ')}`);
if (findings.some((finding) => finding.severity === 'error')) process.exitCode = 1;
