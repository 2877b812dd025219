import { type FlagName, positionalArgs } from '../args.js';
import type { Context } from '../context.js';

export interface Command {
  /** `jobs create`, `preview`. */
  name: string;
  /** Arguments and flags, as shown in help. */
  usage: string;
  summary: string;
  flags: readonly FlagName[];
  run(ctx: Context, args: string[]): Promise<void>;
}

/** A command on one resource named by its id and nothing else. */
export interface IdCommandSpec<T> {
  name: string;
  /** The one positional argument. */
  id: 'jobId' | 'executionId';
  summary: string;
  call(ctx: Context, id: string): Promise<T>;
  /** The human output (`--json` prints the answer itself). */
  said(result: T, ctx: Context, id: string): string;
}

/** `jobs pause <jobId>`, `runs get <executionId>`: one API call, its answer printed. */
export function idCommand<T>({ name, id: idName, summary, call, said }: IdCommandSpec<T>): Command {
  return {
    name,
    usage: `<${idName}>`,
    summary,
    flags: [],
    async run(ctx, args) {
      const [id] = positionalArgs(args, name, [idName]);
      const result = await call(ctx, id!);
      ctx.print(result, () => said(result, ctx, id!));
    },
  };
}
