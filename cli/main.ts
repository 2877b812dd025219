import { readFileSync } from 'node:fs';
import { runCli } from './run.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY === true,
  env: process.env,
  readStdin: () => readFileSync(0, 'utf8'),
  now: Date.now,
});
// exitCode, not exit(): lets stdout drain when it is a pipe.
process.exitCode = code;
