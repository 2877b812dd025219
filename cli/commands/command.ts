import type { FlagName } from '../args.js';
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
