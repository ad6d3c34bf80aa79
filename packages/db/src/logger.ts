/**
 * The logging surface @im/db needs. A pino logger (and so `@im/logger`'s)
 * satisfies it; libraries here take it as an option and never build their own.
 */
export interface DbLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const noop = (): void => {};

/** A logger that drops everything (the default when a caller passes none). */
export const silentDbLogger: DbLogger = { info: noop, warn: noop, error: noop };
