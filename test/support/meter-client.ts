import type { MiddlewareHost } from '../../bench/meter.js';

/** A stand-in SDK client: the meter's two middlewares around a handler that answers `reply`. */
export function fakeClient() {
  type Mw = Parameters<MiddlewareHost['middlewareStack']['add']>[0];
  const steps: { step: string; mw: Mw }[] = [];
  const host: MiddlewareHost = { middlewareStack: { add: (mw, { step }) => steps.push({ step, mw }) } };
  const send = async (
    command: string,
    input: Record<string, unknown>,
    reply: (input: Record<string, unknown>) => Record<string, unknown> = () => ({}),
  ) => {
    const context = { commandName: `${command}Command` };
    let handler = async (args: { input: Record<string, unknown> }) => ({ output: reply(args.input) });
    for (const step of ['build', 'initialize']) {
      for (const { mw } of steps.filter((s) => s.step === step)) handler = mw(handler, context);
    }
    return (await handler({ input })).output;
  };
  return { host, send };
}
