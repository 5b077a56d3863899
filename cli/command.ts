// Every CLI command is a file in cli/commands/ that exports `command`; main.ts discovers them.
export interface CliCommand {
  name: string;
  /** One line for `lantern --help`. */
  summary: string;
  /** Full usage text for `lantern NAME --help`. */
  usage: string;
  /** Returns the process exit code. Progress goes to stderr, results to stdout. */
  run(args: string[]): Promise<number>;
}

/** A user error: printed as one clear line, exit code 2, no stack trace. */
export class UsageError extends Error {
  override name = 'UsageError';
}
