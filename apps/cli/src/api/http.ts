import { ErrorBody } from '@im/contracts';
import type { z } from 'zod';
import { CliError, ExitCode } from '../cli/errors.js';

/** An error answer from the server: `{ error: { code, message } }` with its HTTP status. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function isApiError(error: unknown, code?: string): error is ApiError {
  return error instanceof ApiError && (code === undefined || error.code === code);
}

export interface RequestOptions<S extends z.ZodType> {
  body?: unknown;
  token?: string;
  query?: Record<string, string | number | undefined>;
  /** Validates the answer; without it the answer is ignored. */
  schema?: S;
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
};

/** Why a fetch() failed, in words: Node hides the system error in `cause`. */
export function describeNetworkError(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = 'code' in current && typeof current.code === 'string' ? current.code : undefined;
    if (code && NETWORK_ERRORS[code]) return NETWORK_ERRORS[code];
    if (current.name === 'TimeoutError') return 'no answer in time';
    if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0];
    else current = current.cause;
  }
  return error instanceof Error ? error.message : String(error);
}

export function unreachable(server: string, error: unknown): CliError {
  return new CliError(`cannot reach the server at ${server} (${describeNetworkError(error)})`, {
    exitCode: ExitCode.unavailable,
    hint: 'is it running? Start one with `pnpm start`, or choose another with --server or IM_SERVER',
    cause: error,
  });
}

/** JSON over HTTP against one server, with typed errors and answers validated by their schemas. */
export class HttpClient {
  readonly server: string;
  readonly #timeoutMs: number;

  constructor(server: string, timeoutMs = 15_000) {
    this.server = server;
    this.#timeoutMs = timeoutMs;
  }

  async request<S extends z.ZodType>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: RequestOptions<S> = {},
  ): Promise<z.infer<S>> {
    const url = new URL(path.replace(/^\//, ''), `${this.server}/`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw unreachable(this.server, error);
    }
    const text = await response.text().catch((error: unknown) => {
      throw unreachable(this.server, error);
    });
    const json = parseJson(text);
    if (!response.ok) {
      const body = ErrorBody.safeParse(json);
      if (body.success) {
        throw new ApiError(
          response.status,
          body.data.error.code,
          body.data.error.message,
          body.data.error.details,
        );
      }
      throw new ApiError(
        response.status,
        response.status >= 500 ? 'UNAVAILABLE' : 'HTTP_ERROR',
        `${method} ${url.pathname} answered HTTP ${response.status}${response.status === 404 ? ' (is this an im server?)' : ''}`,
      );
    }
    if (!options.schema) return undefined as z.infer<S>;
    const parsed = options.schema.safeParse(json);
    if (!parsed.success) {
      throw new CliError(
        `unexpected answer from ${this.server} to ${method} ${url.pathname}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
        { hint: 'is --server the address of an im server of the same version?' },
      );
    }
    return parsed.data;
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON (a proxy's HTML error page): the status code is all we have.
    return undefined;
  }
}
