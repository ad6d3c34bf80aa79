/** Exit codes of `im` (documented in apps/cli/README.md). */
export const ExitCode = {
  ok: 0,
  /** The server refused, the recipient does not exist, a message was rejected … */
  failure: 1,
  /** Wrong command line. */
  usage: 2,
  /** The server could not be reached, or did not confirm in time. */
  unavailable: 3,
  /** Not logged in, or the session has ended. */
  noAuth: 4,
  /** Cancelled with Ctrl-C (128 + SIGINT, as shells report it). */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * A failure the user can act on: printed as one line (plus an optional hint),
 * never with a stack trace.
 */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  constructor(message: string, options: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = options.exitCode ?? ExitCode.failure;
    this.hint = options.hint;
  }
}

export class UsageError extends CliError {
  /** The command whose help the user should read (`im <command> --help`). */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message, {
      exitCode: ExitCode.usage,
      hint: `run \`im ${command ? `${command} ` : ''}--help\` for usage`,
    });
    this.name = 'UsageError';
    this.command = command;
  }
}
