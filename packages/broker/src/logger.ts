/**
 * The logging surface the broker needs. A pino `Logger` (what `@im/logger`'s
 * `createLogger` returns) satisfies it; so does anything else with these four
 * methods taking a context object and a message.
 */
export interface BrokerLogger {
  debug(context: object, message: string): void;
  info(context: object, message: string): void;
  warn(context: object, message: string): void;
  error(context: object, message: string): void;
}

/** A logger that drops everything. */
export const nullLogger: BrokerLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

export function errorContext(error: unknown): { err: { message: string; name?: string; code?: unknown } } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { err: { name: error.name, message: error.message, ...(code === undefined ? {} : { code }) } };
  }
  return { err: { message: String(error) } };
}
