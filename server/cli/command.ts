import type { OptionSpecs } from './args.ts';
import type { CliContext } from './context.ts';

/** A `berth` command: what `--help` shows, and what it does. `run` answers the exit code (0 when it returns none). */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Paragraphs after the usage line in `--help`. */
  description?: string;
  options: OptionSpecs;
  subcommands?: Command[];
  run?(ctx: CliContext, args: string[]): Promise<number | void>;
}
