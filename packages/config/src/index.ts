import { z } from 'zod';

/** Thrown when the environment does not satisfy an app's schema. Names every bad variable. */
export class ConfigError extends Error {
  readonly issues: ReadonlyArray<{ variable: string; problem: string }>;
  constructor(service: string, issues: ReadonlyArray<{ variable: string; problem: string }>) {
    super(
      `${service}: invalid configuration\n${issues.map((i) => `  - ${i.variable}: ${i.problem}`).join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Parses an app's environment once, at start-up, with its zod schema (use
 * `z.coerce` and `.default()` in the schema). Only an app's `main.ts` calls this;
 * everything below receives the parsed object.
 */
export function parseEnv<S extends z.ZodType>(
  service: string,
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(emptyAsUndefined(env));
  if (result.success) return result.data;
  throw new ConfigError(
    service,
    result.error.issues.map((issue) => ({
      variable: issue.path.map(String).join('.') || '(environment)',
      problem: issue.message,
    })),
  );
}

/** An empty variable (`FOO=`) counts as unset, so defaults apply. */
function emptyAsUndefined(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) out[key] = value === '' ? undefined : value;
  return out;
}

const SECRET = /pass(word)?|secret|token|key|credential|private/i;

/** A copy of a parsed config safe to log: secrets masked, passwords in URLs masked. */
export function redactConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (SECRET.test(key) && value !== undefined) out[key] = '[redacted]';
    else if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(value)) out[key] = redactUrl(value);
    else out[key] = value;
  }
  return out;
}

export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = 'redacted';
    return url.toString();
  } catch {
    // Not a URL after all: keep the value, it matched only the scheme pattern.
    return value;
  }
}

/** Shared pieces of app env schemas. */
export const envs = {
  port: (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback),
  host: z.string().default('127.0.0.1'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  nodeEnv: z.enum(['development', 'production', 'test']).default('production'),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  durationMs: (fallback: number) => z.coerce.number().int().positive().default(fallback),
  url: z.url(),
  optionalUrl: z.url().optional(),
  list: (fallback: string[]) =>
    z
      .string()
      .default(fallback.join(','))
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
};
